// Generate: the panel's controller turns the form into an MP4 with the CLI's tags, the gallery
// lists it (also after a rescan of the folder), the player decodes and shows its frames; cancel
// stops after the current step and writes nothing. With a distilled student picked, a clip is
// generated on the student's schedule without CFG and the model comes back as it was.
#include <QDir>
#include <cstdlib>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QValidator>
#include <QTest>

#include "core/media/generation_metadata.h"
#include "core/media/video_io.h"
#include "core/pipeline/model_loader.h"
#include "ui/engine/studio_session.h"
#include "ui/generate/clip_writer.h"
#include "ui/generate/gallery_model.h"
#include "ui/generate/generate_controller.h"
#include "ui/panels/generate_panel.h"
#include "ui/widgets/seed_edit.h"
#include "ui/widgets/video_player.h"
#include "tests/ui/student_fixture.h"

using namespace linvideo;
using namespace linvideo::ui;

class GenerateTest : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void generatesAPlayableTaggedClipIntoTheGallery();
  void cancelStopsAndWritesNothing();
  void studentGeneratesOnItsSchedule();
  void seedsKeepAll64Bits();
  void malformedTimingTagsKeepTheClip();
  void theCliAndTheStudioMakeTheSameClip();

 private:
  StudioSession session_;
};

void GenerateTest::initTestCase() {
  QSignalSpy loaded(&session_, &StudioSession::modelLoaded);
  session_.loadModel(QString::fromStdString(pipeline::default_model_dir()), QStringLiteral("cpu"));
  QVERIFY(loaded.wait(120000));
}

void GenerateTest::generatesAPlayableTaggedClipIntoTheGallery() {
  QTemporaryDir folder;
  GeneratePanel panel(&session_);
  panel.setOutputFolder(folder.path());
  const ModelInfo& info = session_.modelInfo();
  GenerateRequest r = panel.request();
  QCOMPARE(r.steps, info.defaults.steps);  // the form starts from the model folder's defaults
  QCOMPARE(r.frames, info.defaults.frames);
  r.prompt = QStringLiteral("a small red circle moving left on a black background");
  r.seed = 7;
  r.steps = 4;
  r.sampler = QStringLiteral("euler");
  r.grid = QStringLiteral("diffusers");  // no widget for it: kept by the form from a re-used clip
  panel.setRequest(r);
  QCOMPARE(panel.request().grid, QStringLiteral("diffusers"));

  QSignalSpy previews(panel.controller(), &GenerateController::preview);
  QSignalSpy finished(panel.controller(), &GenerateController::finished);
  QSignalSpy played(panel.player(), &VideoPlayer::loaded);
  panel.generate();
  QVERIFY(panel.controller()->isRunning());
  QVERIFY(finished.wait(120000));
  QCOMPARE(previews.count(), 4);  // one preview per step
  QCOMPARE(previews.front().at(0).value<QImage>().isNull(), false);
  const GalleryEntry entry = finished.front().at(0).value<GalleryEntry>();
  QVERIFY(QFileInfo(entry.path).absolutePath() == QFileInfo(folder.path()).absoluteFilePath());

  const media::VideoFile clip = media::read_video(entry.path.toStdString());
  QCOMPARE(clip.frames.count, static_cast<int>(info.defaults.frames));
  QCOMPARE(clip.frames.width, static_cast<int>(info.defaults.width));
  QCOMPARE(clip.frames.height, static_cast<int>(info.defaults.height));
  const media::GenerationSettings tags =
      media::generation_settings_from_metadata(clip.metadata, entry.path.toStdString());
  QCOMPARE(QString::fromStdString(tags.prompt), r.prompt);
  QCOMPARE(tags.seed, 7);
  QCOMPARE(tags.steps, 4);
  QCOMPARE(tags.solver, std::string("euler"));  // structured, not only "euler (diffusers grid)"
  QCOMPARE(tags.grid, std::string("diffusers"));
  QCOMPARE(static_cast<qint64>(tags.attention_modes.size()), info.numLayers);
  QVERIFY(entry.wallSeconds > 0 && entry.ditSeconds > 0 && entry.ditSeconds <= entry.wallSeconds);

  QCOMPARE(panel.gallery()->rowCount(), 1);
  QCOMPARE(panel.gallery()->data(panel.gallery()->index(0), GalleryModel::PathRole).toString(), entry.path);
  QVERIFY(!panel.gallery()->data(panel.gallery()->index(0), Qt::DecorationRole).value<QImage>().isNull());

  QVERIFY(played.count() > 0 || played.wait(30000));
  VideoPlayer* player = panel.player();
  QCOMPARE(player->frameCount(), static_cast<int>(info.defaults.frames));
  QCOMPARE(player->currentImage().size(), QSize(int(info.defaults.width), int(info.defaults.height)));
  player->pause();
  player->seek(5);
  QCOMPARE(player->currentFrame(), 5);

  // The gallery persists as the folder: a fresh model finds the clip and its settings.
  GalleryModel rescanned;
  QSignalSpy scanned(&rescanned, &GalleryModel::scanned);
  rescanned.scanFolder(folder.path());
  QVERIFY(scanned.wait(20000));
  QCOMPARE(rescanned.rowCount(), 1);
  QCOMPARE(rescanned.entry(0).request.seed, quint64(7));
  QCOMPARE(rescanned.entry(0).request.steps, 4);
  QCOMPARE(rescanned.entry(0).request.sampler, QStringLiteral("euler"));
  QCOMPARE(rescanned.entry(0).request.grid, QStringLiteral("diffusers"));  // the grid was lost here
  QCOMPARE(rescanned.entry(0).request.frames, info.defaults.frames);
  QCOMPARE(rescanned.entry(0).layerMask, entry.layerMask);
  QVERIFY(!rescanned.entry(0).thumbnail.isNull());
  QVERIFY(rescanned.entry(0).wallSeconds > 0);
}

void GenerateTest::cancelStopsAndWritesNothing() {
  QTemporaryDir folder;
  GenerateController controller(&session_);
  controller.setOutputFolder(folder.path());
  GenerateRequest r;
  r.prompt = QStringLiteral("a small red circle moving left on a black background");
  r.steps = 50;
  const ModelInfo& info = session_.modelInfo();
  r.frames = info.defaults.frames, r.height = info.defaults.height, r.width = info.defaults.width;
  int lastStep = 0;
  connect(&controller, &GenerateController::stepProgress, &controller, [&](int step, int, double, double) {
    lastStep = step;
    controller.cancel();
  });
  QSignalSpy cancelled(&controller, &GenerateController::cancelled);
  QSignalSpy finished(&controller, &GenerateController::finished);
  QVERIFY(controller.start(r));
  QVERIFY(!controller.start(r));  // one at a time
  QVERIFY(cancelled.wait(60000));
  QCOMPARE(finished.count(), 0);
  QVERIFY(lastStep < 10);  // stopped soon after the request, far before 50
  QVERIFY(!controller.isRunning());
  QVERIFY(QDir(folder.path()).entryList({QStringLiteral("*.mp4")}, QDir::Files).isEmpty());
}

void GenerateTest::studentGeneratesOnItsSchedule() {
  QTemporaryDir folder;
  const QString file = test::writeTestStudent(session_, folder.filePath(QStringLiteral("s.student.safetensors")),
                                              {1000, 750, 500}, /*linearLayer=*/1);
  QVERIFY(!file.isEmpty());
  const std::vector<at::Tensor> weightsBefore = test::copyDitWeights(session_);
  GeneratePanel panel(&session_);
  panel.setOutputFolder(folder.path());
  QVERIFY(!panel.setStudent(session_.modelInfo().sidecarPath));  // a sidecar is not a student
  QVERIFY(panel.student().isEmpty());
  QVERIFY(panel.setStudent(file));
  GenerateRequest r = panel.request();
  QCOMPARE(r.student, file);
  r.steps = 9;  // ignored: the schedule decides
  r.frames = 5, r.height = 64, r.width = 64;
  QSignalSpy previews(panel.controller(), &GenerateController::preview);
  QSignalSpy finished(panel.controller(), &GenerateController::finished);
  QVERIFY(panel.controller()->start(r));
  QVERIFY(finished.wait(120000));
  QCOMPARE(previews.count(), 3);
  const GalleryEntry entry = finished.front().at(0).value<GalleryEntry>();
  QCOMPARE(entry.request.steps, 3);
  QCOMPARE(entry.request.guidance, 1.0);
  QCOMPARE(entry.request.sampler, QStringLiteral("euler"));
  QCOMPARE(entry.layerMask, QStringLiteral("1"));
  QVERIFY(test::sameTensors(test::copyDitWeights(session_), weightsBefore));

  // The clip names its student, in the gallery entry and in its tags: Re-use brings it back.
  QCOMPARE(entry.request.student, file);
  const GalleryEntry fromDisk = GalleryModel::readEntry(entry.path);
  QCOMPARE(fromDisk.request.student, file);
  GeneratePanel again(&session_);
  QVERIFY(again.student().isEmpty());
  QVERIFY(again.setRequest(fromDisk.request));
  QCOMPARE(again.student(), file);
  QCOMPARE(again.request().student, file);
}

// Issue 19: one request, two front ends, one clip. The studio's Generate (resident engine) and
// `linvideo generate` (one-shot engine, memory plan) on the same folder with the same settings give
// the same frames, bit for bit, and the same tags (the timing tags aside, which only the studio
// writes).
void GenerateTest::theCliAndTheStudioMakeTheSameClip() {
  QTemporaryDir folder;
  GenerateController controller(&session_);
  controller.setOutputFolder(folder.path());
  GenerateRequest r;
  r.prompt = QStringLiteral("a large blue square moving right on a gray background");
  r.seed = 12345678901234ULL;  // past 32 bits on purpose
  r.steps = 3;
  r.guidance = 4.5;
  r.shift = 3.0;
  r.frames = 9;
  r.height = 128;
  r.width = 128;
  r.sampler = QStringLiteral("unipc");
  QSignalSpy finished(&controller, &GenerateController::finished);
  QVERIFY(controller.start(r));
  QVERIFY(finished.wait(120000));
  const QString studioClip = finished.front().at(0).value<GalleryEntry>().path;

  const QString cliClip = folder.filePath(QStringLiteral("cli.mp4"));
  const QString command = QStringLiteral(
                              "%1 generate -p '%2' --seed %3 --steps 3 --guidance 4.5 --shift 3 --frames 9 "
                              "--height 128 --width 128 --sampler unipc --out %4 > /dev/null 2> %5/cli.txt")
                              .arg(QStringLiteral(LINVIDEO_CLI), r.prompt, QString::number(r.seed), cliClip, folder.path());
  QCOMPARE(std::system(command.toLocal8Bit().constData()), 0);

  const media::VideoFile studio = media::read_video(studioClip.toStdString());
  const media::VideoFile cli = media::read_video(cliClip.toStdString());
  QCOMPARE(cli.frames.count, 9);
  QCOMPARE(studio.frames.count, cli.frames.count);
  QVERIFY2(studio.frames.rgb == cli.frames.rgb, "the CLI's frames differ from the studio's");
  const media::GenerationSettings a = media::generation_settings_from_metadata(studio.metadata, studioClip.toStdString());
  const media::GenerationSettings b = media::generation_settings_from_metadata(cli.metadata, cliClip.toStdString());
  QCOMPARE(a.prompt, b.prompt);
  QCOMPARE(a.seed, b.seed);
  QCOMPARE(quint64(b.seed), r.seed);
  QCOMPARE(a.steps, b.steps);
  QCOMPARE(a.guidance, b.guidance);
  QCOMPARE(a.shift, b.shift);
  QCOMPARE(a.solver, b.solver);
  QCOMPARE(a.grid, b.grid);
  QCOMPARE(a.attention_modes, b.attention_modes);  // the shipped sidecar in both
  QCOMPARE(a.model, b.model);
}

QTEST_MAIN(GenerateTest)
#include "generate_test.moc"

// Issue 19: the seed field was a QSpinBox, so re-using a clip whose seed passed INT_MAX (the CLI
// takes any 64-bit seed) clamped it to 2147483647 and made another clip.
void GenerateTest::seedsKeepAll64Bits() {
  GeneratePanel panel(&session_);
  GenerateRequest r = panel.request();
  r.prompt = QStringLiteral("a small red circle moving left on a black background");
  for (const quint64 seed : {quint64(0), quint64(2147483648ull), quint64(18446744073709551615ull)}) {
    r.seed = seed;
    panel.setRequest(r);
    QCOMPARE(panel.request().seed, seed);
  }
  SeedEdit edit;
  QValidator::State state = QValidator::Acceptable;
  int pos = 0;
  for (QString bad : {QStringLiteral("-1"), QStringLiteral("18446744073709551616"), QStringLiteral("12a"),
                      QStringLiteral("1 2"), QStringLiteral("\u0661")}) {  // the last: an Arabic-Indic digit
    state = edit.validator()->validate(bad, pos);
    QVERIFY2(state == QValidator::Invalid, qPrintable(bad));
  }
  QString good = QStringLiteral("18446744073709551615");
  QCOMPARE(edit.validator()->validate(good, pos), QValidator::Acceptable);
  edit.setText(good);
  QCOMPARE(edit.value(), quint64(18446744073709551615ull));
}

// A clip whose timing tag is not a number stays in the gallery with that value unknown; std::stod
// threw before and the folder scan dropped the whole clip.
void GenerateTest::malformedTimingTagsKeepTheClip() {
  QTemporaryDir folder;
  media::VideoFrames frames;
  frames.width = 32, frames.height = 32, frames.count = 5;
  frames.rgb.assign(frames.frame_bytes() * frames.count, 128);
  media::GenerationSettings settings;
  settings.prompt = "a small red circle moving left on a black background";
  settings.seed = 11;
  media::VideoWriteOptions options;
  options.metadata = media::generation_metadata(settings);
  options.metadata.tags[kWallSecondsTag] = "fast";
  options.metadata.tags[kDitSecondsTag] = "1e999";
  options.metadata.tags[kFrameCountTag] = "-3";
  const QString path = folder.filePath(QStringLiteral("clip.mp4"));
  media::write_video(path.toStdString(), frames, options);
  const GalleryEntry e = GalleryModel::readEntry(path);
  QCOMPARE(e.request.prompt, QString::fromStdString(settings.prompt));
  QCOMPARE(e.request.seed, quint64(11));
  QCOMPARE(e.wallSeconds, -1.0);
  QCOMPARE(e.ditSeconds, -1.0);
  QCOMPARE(e.request.frames, qint64(5));  // from the file itself, not the bad tag
  GalleryModel gallery;
  QSignalSpy scanned(&gallery, &GalleryModel::scanned);
  gallery.scanFolder(folder.path());
  QVERIFY(scanned.wait(20000));
  QCOMPARE(gallery.rowCount(), 1);
}
