// linvideo-studio --screenshot under Xvfb: one PNG per panel, of the window's size, not blank.
#include <QCoreApplication>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <cstdio>

namespace {

QString xvfbRun() { return QStandardPaths::findExecutable(QStringLiteral("xvfb-run")); }

int distinctColours(const QImage& image) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 2) {
    for (int x = 0; x < image.width(); x += 2) colours.insert(image.pixel(x, y));
  }
  return static_cast<int>(colours.size());
}

// The child uses the X server xvfb-run starts, not the offscreen platform ctest sets for us.
QProcessEnvironment studioEnvironment() {
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.remove(QStringLiteral("QT_QPA_PLATFORM"));
  return env;
}

}  // namespace

class ScreenshotTest : public QObject {
  Q_OBJECT

 private slots:
  void everyPanel_data();
  void everyPanel();
  void inUseRunsThePanelsJobFirst();
  void unknownPanelIsRefused();
};

void ScreenshotTest::everyPanel_data() {
  QTest::addColumn<QString>("panel");
  for (const char* panel : {"model", "layers", "train", "generate", "compare"})
    QTest::newRow(panel) << QString(panel);
}

void ScreenshotTest::everyPanel() {
  QFETCH(QString, panel);
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  const QString png = dir.filePath(panel + QStringLiteral(".png"));
  QProcess studio;
  studio.setProcessEnvironment(studioEnvironment());
  studio.setProcessChannelMode(QProcess::MergedChannels);
  studio.start(xvfbRun(),
               {QStringLiteral("-a"), QStringLiteral("-s"),
                QStringLiteral("-screen 0 1920x1080x24"), QStringLiteral(LINVIDEO_STUDIO),
                QStringLiteral("--screenshot"), png, QStringLiteral("--panel"), panel});
  QVERIFY(studio.waitForStarted());
  QVERIFY2(studio.waitForFinished(300000), "linvideo-studio did not exit");
  const QByteArray output = studio.readAll();
  QVERIFY2(studio.exitStatus() == QProcess::NormalExit && studio.exitCode() == 0,
           output.constData());

  const QImage image(png);
  QVERIFY2(!image.isNull(), qPrintable(png + QStringLiteral(": not a readable PNG")));
  QCOMPARE(image.size(), QSize(1280, 800));
  const int colours = distinctColours(image);
  QVERIFY2(colours > 8, qPrintable(QStringLiteral("only %1 distinct colours").arg(colours)));
}

void ScreenshotTest::inUseRunsThePanelsJobFirst() {
  // The README's screenshots show the studio in use: --in-use runs the panel's job (here a clip)
  // and grabs the window when the queue is empty. The Generate panel then shows a playing clip and
  // a gallery entry, so the picture differs from the empty form's.
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  QImage shots[2];
  for (int i = 0; i < 2; ++i) {
    const QString png = dir.filePath(QStringLiteral("generate%1.png").arg(i));
    QStringList args{QStringLiteral("-a"), QStringLiteral("-s"), QStringLiteral("-screen 0 1920x1080x24"),
                     QStringLiteral(LINVIDEO_STUDIO), QStringLiteral("--screenshot"), png,
                     QStringLiteral("--panel"), QStringLiteral("generate")};
    if (i == 1) args << QStringLiteral("--in-use");
    QProcess studio;
    studio.setProcessEnvironment(studioEnvironment());
    studio.setProcessChannelMode(QProcess::MergedChannels);
    studio.start(xvfbRun(), args);
    QVERIFY(studio.waitForStarted());
    QVERIFY2(studio.waitForFinished(600000), "linvideo-studio did not exit");
    QVERIFY2(studio.exitStatus() == QProcess::NormalExit && studio.exitCode() == 0, studio.readAll().constData());
    shots[i] = QImage(png);
    QVERIFY(!shots[i].isNull());
  }
  // Many more colours in use: the clip's frame and the gallery's thumbnail.
  QVERIFY2(distinctColours(shots[1]) > distinctColours(shots[0]) + 20,
           qPrintable(QStringLiteral("%1 vs %2 colours").arg(distinctColours(shots[1])).arg(distinctColours(shots[0]))));
}

void ScreenshotTest::unknownPanelIsRefused() {
  QProcess studio;
  QProcessEnvironment env = studioEnvironment();
  env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
  studio.setProcessEnvironment(env);
  studio.start(QStringLiteral(LINVIDEO_STUDIO),
               {QStringLiteral("--screenshot"), QStringLiteral("/tmp/never.png"),
                QStringLiteral("--panel"), QStringLiteral("nonsense")});
  QVERIFY(studio.waitForFinished(60000));
  QCOMPARE(studio.exitCode(), 2);
  // One line of ours (Qt may add its own environment warnings).
  const QByteArray error = studio.readAllStandardError();
  QCOMPARE(error.count("linvideo-studio:"), 1);
  QVERIFY2(error.contains("--panel") && error.contains("'nonsense'"), error.constData());
}

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);
  if (xvfbRun().isEmpty()) {
    std::fprintf(stderr, "SKIP: xvfb-run not found\n");
    return 77;
  }
  ScreenshotTest test;
  return QTest::qExec(&test, argc, argv);
}

#include "screenshot_test.moc"
