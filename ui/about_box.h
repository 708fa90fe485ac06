#pragma once
// The About box: what this build is made of (LibTorch, CUDA, Qt, FFmpeg).
#include <QString>

class QWidget;

namespace linvideo::ui {

QString versionReport();  // rich text, one line per component
void showAboutBox(QWidget* parent);

}  // namespace linvideo::ui
