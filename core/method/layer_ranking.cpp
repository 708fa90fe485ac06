#include "core/method/layer_ranking.h"

#include <algorithm>

namespace linvideo::method {

std::vector<int> spread_layers(int num_layers, int k) {
  k = std::clamp(k, 0, std::max(num_layers, 0));
  std::vector<int> out;
  // floor((i + 1) * N / (k + 1)) + 1 for i < k: distinct, evenly spaced, layer 1 only when k = N.
  for (int i = 0; i < k; ++i) out.push_back(static_cast<int>((static_cast<long long>(i) + 1) * num_layers / (k + 1)) + 1);
  return out;
}

LayerRanking rank_layers(const std::vector<LayerScores>& scores, int k) {
  auto all = [&](double LayerScores::*field) {
    return !scores.empty() && std::all_of(scores.begin(), scores.end(), [&](const LayerScores& s) {
      return std::isfinite(s.*field);
    });
  };
  LayerRanking ranking;
  double LayerScores::*key = nullptr;
  if (all(&LayerScores::sensitivity)) {
    ranking.basis = RankingBasis::Sensitivity, key = &LayerScores::sensitivity;
  } else if (all(&LayerScores::transfer_error)) {
    ranking.basis = RankingBasis::TransferError, key = &LayerScores::transfer_error;
  } else if (all(&LayerScores::r)) {
    ranking.basis = RankingBasis::LearnedR, key = &LayerScores::r;
  }
  std::vector<LayerScores> order = scores;
  std::stable_sort(order.begin(), order.end(), [&](const LayerScores& a, const LayerScores& b) {
    if (key && a.*key != b.*key) return a.*key < b.*key;
    return a.layer < b.layer;
  });
  const int n = std::clamp(k, 0, static_cast<int>(order.size()));
  for (int i = 0; i < n; ++i) ranking.layers.push_back(order[static_cast<std::size_t>(i)].layer);
  return ranking;
}

const char* ranking_basis_name(RankingBasis basis) {
  switch (basis) {
    case RankingBasis::Sensitivity: return "sensitivity";
    case RankingBasis::TransferError: return "transfer error";
    case RankingBasis::LearnedR: return "learned r";
    case RankingBasis::LayerOrder: return "layer order";
  }
  return "";
}

const char* ranking_rule() {
  return "Makes exactly the k most replaceable layers linear and every other layer softmax. "
         "Ranked by the lowest single-layer sensitivity when a scan has measured it for every "
         "layer, else by the lowest attention-transfer error, else by the lowest learned r "
         "(ties: lower layer number first).";
}

}  // namespace linvideo::method
