#include "ui/widgets/video_player.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPainter>
#include <QPromise>
#include <QSlider>
#include <QStyle>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <exception>
#include <memory>

#include "core/media/video_io.h"
#include "ui/widgets/frame_images.h"

namespace linvideo::ui {

// One column: the image scaled to fit (aspect kept, nearest-neighbour so small clips stay
// crisp), its label above, a placeholder text when there is no image.
class FrameView : public QWidget {
 public:
  explicit FrameView(QWidget* parent) : QWidget(parent) {
    setMinimumSize(160, 120);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  }
  void set(const QImage& image, const QString& label) {
    image_ = image;
    label_ = label;
    update();
  }
  const QImage& image() const { return image_; }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Base).darker(110));
    const int labelHeight = fontMetrics().height() + 4;
    const QRect area = rect().adjusted(2, labelHeight, -2, -2);
    if (!label_.isEmpty()) {
      p.setPen(palette().color(QPalette::Text));
      p.drawText(QRect(0, 0, width(), labelHeight), Qt::AlignCenter, label_);
    }
    if (image_.isNull()) return;
    const QSize size = image_.size().scaled(area.size(), Qt::KeepAspectRatio);
    const QRect target(area.center() - QPoint(size.width() / 2, size.height() / 2), size);
    p.drawImage(target, image_);
  }

 private:
  QImage image_;
  QString label_;
};

namespace {

VideoPlayer::Decoded decodeFiles(const QStringList& paths, const QStringList& labels) {
  VideoPlayer::Decoded out;
  for (qsizetype i = 0; i < paths.size(); ++i) {
    try {
      const media::VideoFile file = media::read_video(paths[i].toStdString());
      out.clips.push_back(
          {labels.value(i), frameImages(file.frames), file.frames.fps > 0 ? file.frames.fps : 16.0});
    } catch (const std::exception& e) {
      out.error = QString::fromUtf8(e.what());
      out.clips.clear();
      break;
    }
  }
  return out;
}

}  // namespace

VideoPlayer::VideoPlayer(QWidget* parent)
    : QWidget(parent), timer_(new QTimer(this)), decode_(new QFutureWatcher<Decoded>(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  views_layout_ = new QHBoxLayout;
  layout->addLayout(views_layout_, 1);

  auto* controls = new QHBoxLayout;
  play_ = new QToolButton(this);
  play_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
  play_->setToolTip(tr("Play / pause"));
  slider_ = new QSlider(Qt::Horizontal, this);
  position_ = new QLabel(this);
  position_->setMinimumWidth(70);
  loop_ = new QCheckBox(tr("Loop"), this);
  loop_->setChecked(true);
  controls->addWidget(play_);
  controls->addWidget(slider_, 1);
  controls->addWidget(position_);
  controls->addWidget(loop_);
  layout->addLayout(controls);

  connect(play_, &QToolButton::clicked, this, &VideoPlayer::togglePlay);
  connect(slider_, &QSlider::valueChanged, this, [this](int value) {
    if (value != frame_) seek(value);
  });
  connect(timer_, &QTimer::timeout, this, &VideoPlayer::advance);
  connect(decode_, &QFutureWatcher<Decoded>::finished, this, [this] {
    const QFuture<Decoded> future = decode_->future();
    if (future.resultCount() == 0) return;  // superseded
    Decoded result = future.result();
    if (!result.error.isEmpty()) {
      clear(result.error);
      emit loadFailed(result.error);
      return;
    }
    setClips(std::move(result.clips));
    emit loaded();
  });
  clear(tr("No clip yet"));
}

void VideoPlayer::openFiles(const QStringList& paths, const QStringList& labels) {
  pause();
  auto promise = std::make_shared<QPromise<Decoded>>();
  decode_->setFuture(promise->future());
  promise->start();
  QThreadPool::globalInstance()->start([promise, paths, labels] {
    promise->addResult(decodeFiles(paths, labels));
    promise->finish();
  });
}

void VideoPlayer::setClips(QVector<Clip> clips) {
  pause();
  clips_ = std::move(clips);
  frame_ = 0;
  rebuildViews(std::max(1, clipCount()));
  const double fps = clips_.isEmpty() ? 16.0 : clips_.front().fps;
  timer_->setInterval(static_cast<int>(1000.0 / std::max(1.0, fps)));
  showFrame();
  updateControls();
}

void VideoPlayer::showImage(const QImage& image, const QString& caption) {
  pause();
  clips_.clear();
  frame_ = 0;
  rebuildViews(1);
  views_.front()->set(image, caption);
  updateControls();
}

void VideoPlayer::clear(const QString& placeholder) {
  pause();
  clips_.clear();
  frame_ = 0;
  rebuildViews(1);
  views_.front()->set({}, placeholder);
  updateControls();
}

int VideoPlayer::frameCount() const {
  int count = 0;
  for (const Clip& c : clips_) count = std::max(count, static_cast<int>(c.frames.size()));
  return count;
}

bool VideoPlayer::isPlaying() const { return timer_->isActive(); }
bool VideoPlayer::loops() const { return loop_->isChecked(); }

QImage VideoPlayer::currentImage(int clip) const {
  if (clip < 0 || clip >= views_.size()) return {};
  return views_[clip]->image();
}

void VideoPlayer::play() {
  if (frameCount() < 2) return;
  if (frame_ >= frameCount() - 1) seek(0);
  timer_->start();
  updateControls();
}

void VideoPlayer::pause() {
  timer_->stop();
  updateControls();
}

void VideoPlayer::togglePlay() { isPlaying() ? pause() : play(); }

void VideoPlayer::setLoop(bool loop) { loop_->setChecked(loop); }

void VideoPlayer::seek(int frame) {
  const int count = frameCount();
  if (count == 0) return;
  frame_ = std::clamp(frame, 0, count - 1);
  showFrame();
  updateControls();
  emit frameChanged(frame_);
}

void VideoPlayer::advance() {
  const int count = frameCount();
  if (frame_ + 1 < count) {
    seek(frame_ + 1);
  } else if (loops()) {
    seek(0);
  } else {
    pause();
  }
}

void VideoPlayer::rebuildViews(int count) {
  while (views_.size() > count) delete views_.takeLast();
  while (views_.size() < count) {
    auto* view = new FrameView(this);
    views_layout_->addWidget(view, 1);
    views_.push_back(view);
  }
}

void VideoPlayer::showFrame() {
  for (int i = 0; i < clips_.size(); ++i) {
    const Clip& clip = clips_[i];
    // A shorter clip holds its last frame, as in the exported side-by-side.
    const QImage image = clip.frames.isEmpty()
                             ? QImage()
                             : clip.frames[std::min<qsizetype>(frame_, clip.frames.size() - 1)];
    views_[i]->set(image, clip.label);
  }
}

void VideoPlayer::updateControls() {
  const int count = frameCount();
  play_->setEnabled(count > 1);
  play_->setIcon(style()->standardIcon(isPlaying() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
  slider_->setEnabled(count > 1);
  {
    const QSignalBlocker block(slider_);
    slider_->setRange(0, std::max(0, count - 1));
    slider_->setValue(frame_);
  }
  position_->setText(count ? tr("%1 / %2").arg(frame_ + 1).arg(count) : QString());
}

}  // namespace linvideo::ui
