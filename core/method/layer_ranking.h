#pragma once
// "Linearise the k most replaceable": which layers to make linear, from whatever scores exist.
// A pure function (no engine, no Qt): the studio's Layers panel and `linvideo scan --rank K` use the
// same rule, and it is testable with hand-made scores.
#include <cmath>
#include <limits>
#include <vector>

namespace linvideo::method {

constexpr double kUnknownScore = std::numeric_limits<double>::quiet_NaN();

struct LayerScores {
  int layer = 0;                        // 1-based
  double r = kUnknownScore;             // learned mix score (1 softmax .. 0 linear)
  double transfer_error = kUnknownScore;  // attention-transfer error (scan)
  double sensitivity = kUnknownScore;   // single-layer sensitivity (scan)
};

enum class RankingBasis { Sensitivity, TransferError, LearnedR, LayerOrder };

struct LayerRanking {
  RankingBasis basis = RankingBasis::LayerOrder;
  std::vector<int> layers;  // 1-based, most replaceable first
};

// Ranks by the best score every layer has: single-layer sensitivity if scanned, else transfer
// error, else learned r; lowest first, ties by layer number. Returns the first k (clamped).
LayerRanking rank_layers(const std::vector<LayerScores>& scores, int k);

// The layer-order heuristic: k of `num_layers` layers (1-based) spread evenly through the depth,
// the first layer taken last (only when k = num_layers). The sweep's baseline and the benchmarks'
// default hybrid set.
std::vector<int> spread_layers(int num_layers, int k);

const char* ranking_basis_name(RankingBasis basis);  // "sensitivity", "transfer error", ...
// The rule in one sentence, for tooltips.
const char* ranking_rule();

}  // namespace linvideo::method
