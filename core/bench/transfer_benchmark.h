#pragma once
// `linvideo bench transfer`: LinVideo transfer steps (mixed attention forward and backward through
// the student) with linear attention on the ATen reference, then on the fused kernels, in one
// process, on the same model, cache and settings.
#include <cstdint>
#include <string>
#include <vector>

#include "core/bench/dit_benchmark.h"

namespace linvideo::bench {

struct TransferBenchOptions {
  std::string model;           // a model folder; empty: the embedded shapes model
  std::string device = "cuda";
  std::string work;            // scratch folder for the cache and runs; empty: a temporary one, removed after
  std::int64_t steps = 30;     // timed per backend
  int skip = 5;                // first steps of each run left out of the statistics
};

struct TransferBenchRow {
  std::string backend;  // "reference", "fused"
  TimingStats stats;    // ms per step, the steps after `skip`
};

struct TransferBenchResult {
  std::string model;  // the folder used
  std::vector<TransferBenchRow> rows;  // reference first, then fused
  double speedup() const { return rows.size() == 2 ? rows[0].stats.median_ms / rows[1].stats.median_ms : 0; }
};

TransferBenchResult run_transfer_benchmark(const TransferBenchOptions& options);


}  // namespace linvideo::bench
