#pragma once
// Typed reading of the studio's run settings (the JSON it keeps in a run folder to resume it). A
// field of the wrong type or out of range is an error that names the file and the field; absent or
// null fields keep their defaults. The first error wins; later reads are no-ops.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>
#include <QVector>
#include <QStringList>
#include <cmath>
#include <utility>

namespace linvideo::ui {

class SettingsJson {
 public:
  // label: what an error names first (the settings file).
  SettingsJson(const QString& json, QString label) : label_(std::move(label)) {
    QJsonParseError parse{};
    const QJsonDocument doc = QJsonDocument::fromJson(json.toUtf8(), &parse);
    if (parse.error != QJsonParseError::NoError) fail(QStringLiteral("is not valid JSON (%1)").arg(parse.errorString()));
    else if (!doc.isObject()) fail(QStringLiteral("must hold a JSON object"));
    else o_ = doc.object();
  }

  // An integer in [lo, hi].
  qint64 integer(const char* key, qint64 fallback, qint64 lo, qint64 hi) {
    const QJsonValue v = value(key);
    if (v.isUndefined()) return fallback;
    const double d = v.toDouble();
    if (!v.isDouble() || d != std::floor(d) || d < double(lo) || d > double(hi)) {
      field(key, QStringLiteral("must be an integer from %1 to %2").arg(lo).arg(hi), v);
      return fallback;
    }
    return static_cast<qint64>(d);
  }
  // A finite number in [lo, hi].
  double number(const char* key, double fallback, double lo, double hi) {
    const QJsonValue v = value(key);
    if (v.isUndefined()) return fallback;
    if (!v.isDouble() || !(v.toDouble() >= lo && v.toDouble() <= hi)) {
      field(key, QStringLiteral("must be a number from %1 to %2").arg(lo).arg(hi), v);
      return fallback;
    }
    return v.toDouble();
  }
  // A string; with `allowed` non-empty, one of those.
  QString string(const char* key, const QString& fallback, const QStringList& allowed = {}) {
    const QJsonValue v = value(key);
    if (v.isUndefined()) return fallback;
    if (!v.isString() || (!allowed.isEmpty() && !allowed.contains(v.toString()))) {
      field(key, allowed.isEmpty() ? QStringLiteral("must be a string")
                                   : QStringLiteral("must be one of %1").arg(allowed.join(QStringLiteral(", "))),
            v);
      return fallback;
    }
    return v.toString();
  }
  // A list of at most max_count numbers in [lo, hi].
  QVector<double> numbers(const char* key, const QVector<double>& fallback, int max_count, double lo, double hi) {
    const QJsonValue v = value(key);
    if (v.isUndefined()) return fallback;
    QVector<double> out;
    const QJsonArray a = v.toArray();
    bool good = v.isArray() && a.size() <= max_count;
    for (const QJsonValue& x : a) {
      good = good && x.isDouble() && x.toDouble() >= lo && x.toDouble() <= hi;
      out << x.toDouble();
    }
    if (!good) {
      field(key, QStringLiteral("must be a list of at most %1 numbers from %2 to %3").arg(max_count).arg(lo).arg(hi), v);
      return fallback;
    }
    return out;
  }
  bool contains(const char* key) const { return o_.contains(QLatin1String(key)) && !o_.value(QLatin1String(key)).isNull(); }

  bool ok() const { return error_.isEmpty(); }
  const QString& error() const { return error_; }

 private:
  QJsonValue value(const char* key) const {
    if (!ok()) return QJsonValue(QJsonValue::Undefined);
    const QJsonValue v = o_.value(QLatin1String(key));
    return v.isNull() ? QJsonValue(QJsonValue::Undefined) : v;
  }
  void fail(const QString& what) {
    if (error_.isEmpty()) error_ = label_ + QStringLiteral(" ") + what;
  }
  void field(const char* key, const QString& what, const QJsonValue& got) {
    QJsonArray wrap{got};
    QString shown = QString::fromUtf8(QJsonDocument(wrap).toJson(QJsonDocument::Compact));
    shown = shown.mid(1, shown.size() - 2).left(80);
    if (error_.isEmpty()) error_ = QStringLiteral("%1: field '%2' %3 (got %4)").arg(label_, QLatin1String(key), what, shown);
  }

  QString label_;
  QJsonObject o_;
  QString error_;
};

}  // namespace linvideo::ui
