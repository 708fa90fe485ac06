#pragma once
// A seed field that holds every 64-bit seed (issue 19: a QSpinBox stops at INT_MAX, so re-using a
// clip made by the CLI with a larger seed silently changed it). Digits only; an empty field is 0.
#include <QLineEdit>

namespace linvideo::ui {

class SeedEdit : public QLineEdit {
 public:
  explicit SeedEdit(QWidget* parent = nullptr);
  quint64 value() const;
  void setValue(quint64 seed);
};

}  // namespace linvideo::ui
