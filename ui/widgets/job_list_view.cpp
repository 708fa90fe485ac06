#include "ui/widgets/job_list_view.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

#include "ui/engine/job_list_model.h"

namespace linvideo::ui {

JobListView::JobListView(StudioSession* session, QWidget* parent)
    : QWidget(parent),
      model_(new JobListModel(session, this)),
      table_(new QTableView(this)),
      log_(new QPlainTextEdit(this)),
      cancel_(new QPushButton(tr("Cancel"), this)),
      clear_(new QPushButton(tr("Clear finished"), this)) {
  table_->setModel(model_);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::SingleSelection);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(JobListModel::NameColumn, QHeaderView::Stretch);
  table_->horizontalHeader()->setSectionResizeMode(JobListModel::StateColumn, QHeaderView::Stretch);
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(JobListModel::kMaxLogLines);
  log_->setPlaceholderText(tr("The selected job's log"));
  cancel_->setEnabled(false);

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(cancel_);
  buttons->addWidget(clear_);
  buttons->addStretch(1);
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  layout->addWidget(table_, 2);
  layout->addLayout(buttons);
  layout->addWidget(log_, 1);

  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] { showSelected(); });
  connect(model_, &QAbstractItemModel::dataChanged, this, [this] { showSelected(); });
  connect(model_, &QAbstractItemModel::rowsRemoved, this, [this] { showSelected(); });
  connect(model_, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex&, int, int last) {
    if (selectedRow() < 0) table_->selectRow(last);  // follow the queue until the user picks a job
  });
  connect(model_, &JobListModel::logAppended, this, [this](int row, const QString& line) {
    if (row == selectedRow()) log_->appendPlainText(line);
  });
  connect(cancel_, &QPushButton::clicked, this, [this] { model_->cancel(selectedRow()); });
  connect(clear_, &QPushButton::clicked, this, [this] { model_->clearEnded(); });
}

int JobListView::selectedRow() const {
  const QModelIndexList rows = table_->selectionModel()->selectedRows();
  return rows.isEmpty() ? -1 : rows.front().row();
}

void JobListView::showSelected() {
  const int row = selectedRow();
  if (row < 0) {
    log_->clear();
    cancel_->setEnabled(false);
    return;
  }
  const JobListModel::Job& j = model_->job(row);
  const QString text = j.log.join(QLatin1Char('\n'));
  if (log_->toPlainText() != text) log_->setPlainText(text);
  cancel_->setEnabled(j.state == JobListModel::State::Queued || j.state == JobListModel::State::Running);
}

}  // namespace linvideo::ui
