#pragma once
// Prompts files for the studio (one prompt a line, blank lines skipped; the rule of the
// command-line tool's --prompts) and where the shipped shapes prompts are.
#include <QString>
#include <QStringList>

namespace linvideo::ui {

// resources/prompts/shapes.txt beside the embedded model (source tree or installed share/);
// empty when it cannot be found.
QString defaultPromptsFile();
// The prompts of `path`; on failure an empty list and `error` says why, naming the file.
QStringList readPromptsFile(const QString& path, QString* error = nullptr);
// The first prompt of the shipped list, or a fixed shapes prompt.
QString defaultCalibrationPrompt();

}  // namespace linvideo::ui
