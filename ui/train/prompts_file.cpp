#include "ui/train/prompts_file.h"

#include <QDir>
#include <QFileInfo>
#include <exception>

#include "core/prompts_file.h"
#include "core/pipeline/model_loader.h"

namespace linvideo::ui {

QString defaultPromptsFile() {
  try {
    // <resources>/models/shapes -> <resources>/prompts/shapes.txt (source tree and share/linvideo)
    const QDir model(QString::fromStdString(pipeline::default_model_dir()));
    const QString path = QDir::cleanPath(model.filePath(QStringLiteral("../../prompts/shapes.txt")));
    return QFileInfo::exists(path) ? path : QString();
  } catch (const std::exception&) {
    return {};
  }
}

QStringList readPromptsFile(const QString& path, QString* error) {
  try {
    QStringList prompts;
    for (const auto& p : read_prompt_lines(path.toStdString())) prompts << QString::fromStdString(p);
    return prompts;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return {};
  }
}

QString defaultCalibrationPrompt() {
  const QString file = defaultPromptsFile();
  const QStringList prompts = file.isEmpty() ? QStringList() : readPromptsFile(file);
  return prompts.isEmpty()
             ? QStringLiteral("a small red circle moving left on a black background")
             : prompts.front();
}

}  // namespace linvideo::ui
