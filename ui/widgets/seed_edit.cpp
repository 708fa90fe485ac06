#include "ui/widgets/seed_edit.h"

#include <QValidator>

namespace linvideo::ui {
namespace {

// Accepts exactly the decimal numbers 0 .. 2^64 - 1.
class SeedValidator : public QValidator {
 public:
  using QValidator::QValidator;
  State validate(QString& input, int&) const override {
    if (input.isEmpty()) return Intermediate;
    for (const QChar c : input) {
      if (!c.isDigit() || c.unicode() > '9') return Invalid;
    }
    bool ok = false;
    input.toULongLong(&ok);
    return ok ? Acceptable : Invalid;
  }
};

}  // namespace

SeedEdit::SeedEdit(QWidget* parent) : QLineEdit(parent) {
  setValidator(new SeedValidator(this));
  setPlaceholderText(QStringLiteral("0"));
  setText(QStringLiteral("0"));
}

quint64 SeedEdit::value() const {
  bool ok = false;
  const quint64 v = text().toULongLong(&ok);
  return ok ? v : 0;
}

void SeedEdit::setValue(quint64 seed) { setText(QString::number(seed)); }

}  // namespace linvideo::ui
