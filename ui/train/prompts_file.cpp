#include "ui/train/prompts_file.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTextStream>
#include <exception>

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
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
    if (error) *error = QStringLiteral("%1: cannot open prompts file").arg(path);
    return {};
  }
  QStringList prompts;
  QTextStream in(&file);
  while (!in.atEnd()) {
    const QString line = in.readLine().trimmed();
    if (!line.isEmpty()) prompts << line;
  }
  if (prompts.isEmpty() && error) *error = QStringLiteral("%1: prompts file has no prompts").arg(path);
  return prompts;
}

QString defaultCalibrationPrompt() {
  const QString file = defaultPromptsFile();
  const QStringList prompts = file.isEmpty() ? QStringList() : readPromptsFile(file);
  return prompts.isEmpty()
             ? QStringLiteral("a small red circle moving left on a black background")
             : prompts.front();
}

}  // namespace linvideo::ui
