#pragma once
// The Model panel: what is loaded (family, dimensions, parameters, precision, device, memory),
// the device and precision to load with, Open / Reload, and the last load error in words.
#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;

namespace linvideo::ui {

class StudioSession;
struct ModelInfo;

class ModelPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ModelPanel(StudioSession* session, QWidget* parent = nullptr);

  QString device() const;  // "auto", "cpu", "cuda:N"
  QString dtype() const;   // "auto", "fp32", "bf16"

 public slots:
  // Loads `path` with the chosen device and precision.
  void open(const QString& path);
  void reload();

 signals:
  void openRequested();  // the Open… button: the window shows its dialog

 private:
  void showInfo(const ModelInfo& info);
  void showError(const QString& message);
  void fillDevices();

  StudioSession* session_;
  QString lastPath_;
  QLabel *folder_, *family_, *dimensions_, *parameters_, *precision_, *device_, *memory_;
  QLabel *textEncoder_, *sidecar_, *state_, *error_;
  QComboBox *deviceChoice_, *dtypeChoice_;
  QPushButton *openButton_, *reloadButton_;
};

}  // namespace linvideo::ui
