#pragma once
// A frame-synchronised player for one or more clips, with no system media back end: files are
// decoded by FFmpeg (media::read_video) on a pool thread into QImages, then one QTimer at the
// first clip's fps drives every column and one slider seeks them all. The Generate panel uses it
// with one clip (and for the live preview), the Compare panel with one clip per variant.
#include <QFutureWatcher>
#include <QImage>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QHBoxLayout;
class QLabel;
class QSlider;
class QTimer;
class QToolButton;

namespace linvideo::ui {

class FrameView;

class VideoPlayer : public QWidget {
  Q_OBJECT

 public:
  struct Clip {
    QString label;
    QVector<QImage> frames;
    double fps = 16.0;
  };
  struct Decoded {  // what a background decode hands back
    QVector<Clip> clips;
    QString error;  // empty on success
  };

  explicit VideoPlayer(QWidget* parent = nullptr);

  // Decodes the files in the background (labels: one per file, or none), then shows frame 0;
  // ends in loaded() or loadFailed(). A later call supersedes an unfinished one.
  void openFiles(const QStringList& paths, const QStringList& labels = {});
  void setClips(QVector<Clip> clips);
  // One still image (the live preview while generating) with a caption; stops playback.
  void showImage(const QImage& image, const QString& caption);
  void clear(const QString& placeholder = {});

  int clipCount() const { return static_cast<int>(clips_.size()); }
  int frameCount() const;  // the longest clip's
  int currentFrame() const { return frame_; }
  bool isPlaying() const;
  bool loops() const;
  QImage currentImage(int clip = 0) const;  // null when there is none

 public slots:
  void play();
  void pause();
  void togglePlay();
  void seek(int frame);
  void setLoop(bool loop);

 signals:
  void loaded();
  void loadFailed(const QString& message);
  void frameChanged(int frame);

 private:
  void advance();
  void rebuildViews(int count);
  void showFrame();
  void updateControls();

  QVector<Clip> clips_;
  int frame_ = 0;
  QHBoxLayout* views_layout_;
  QVector<FrameView*> views_;
  QToolButton* play_;
  QSlider* slider_;
  QLabel* position_;
  QCheckBox* loop_;
  QTimer* timer_;
  QFutureWatcher<Decoded>* decode_;
};

}  // namespace linvideo::ui
