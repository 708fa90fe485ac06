#include "ui/about_box.h"

#include <torch/version.h>

#include <QMessageBox>
#include <QtGlobal>

#include "core/version.h"
#ifdef LINVIDEO_WITH_MEDIA
#include "core/media/library_versions.h"
#endif

namespace linvideo::ui {

QString versionReport() {
  QString ffmpeg = QStringLiteral("not linked");
#ifdef LINVIDEO_WITH_MEDIA
  ffmpeg = QString::fromStdString(media::ffmpeg_versions());
#endif
  return QStringLiteral(
             "<p><b>LinVideo Studio %1</b></p>"
             "<p>LibTorch %2<br>CUDA: %3<br>Qt %4 (built with %5)<br>%6</p>")
      .arg(QStringLiteral(LINVIDEO_VERSION), QStringLiteral(TORCH_VERSION),
           cuda_available() ? QStringLiteral("available") : QStringLiteral("not available"),
           QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR), ffmpeg.toHtmlEscaped());
}

void showAboutBox(QWidget* parent) {
  QMessageBox::about(parent, QObject::tr("About LinVideo Studio"), versionReport());
}

}  // namespace linvideo::ui
