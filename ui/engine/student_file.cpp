#include "ui/engine/student_file.h"

#include <QFileInfo>
#include <exception>
#include <string>

// Qt defines `slots` as a keyword; the full ATen headers use it as a method name.
#pragma push_macro("slots")
#undef slots

#include "core/method/student.h"
#pragma pop_macro("slots")

namespace linvideo::ui {

QString StudentInfo::label() const {
  return QObject::tr("%1-step student (%2)").arg(steps()).arg(QFileInfo(path).fileName());
}

StudentInfo readStudentInfo(const QString& path) {
  StudentInfo info;
  info.path = path;
  try {
    // The engine owns the student format (core/method/student): one reader for the CLI and here.
    for (const double t : method::read_student_schedule(path.toStdString()).timesteps()) info.timesteps << t;
  } catch (const std::exception& e) {
    info.error = QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0);
  }
  return info;
}

}  // namespace linvideo::ui
