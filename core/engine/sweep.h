#pragma once
// The k-sweep (issue 20): for each k, convert the loaded model's k most replaceable layers (by the
// installed sidecar's scores, the Layers view's ranking rule) and, as the baseline, k layers spread
// evenly through the depth; generate the same prompts and seeds with each, score every clip (the
// shapes-world eval where the model has that world; PSNR against the teacher's clip always), and
// predict the forward's speed-up at a chosen video size from the FLOP model. Quality against
// speed-up, with the Pareto front marked, as JSON and CSV.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/method/attention_cost.h"

namespace linvideo::engine {

struct SweepRequest {
  std::vector<int> ks;                // layer counts; 0 is the teacher
  std::vector<std::string> prompts;   // each generated with every seed
  int seeds = 2;
  int steps = 0;                      // sampling steps; 0: the model's default
  int frames = 0;                     // clip length; 0: the model's default
  method::VideoSize size;             // for the predicted speed-up
  bool spread_baseline = true;        // also the evenly spread selection
  bool current_point = true;          // also the model's own linear layers (the shipped selection)
};

struct SweepPoint {
  std::string selection;        // "teacher", "ranked", "spread" or "current"
  int k = 0;
  std::vector<int> layers;      // 1-based, linear
  std::optional<double> eval;   // mean shapes-world eval total over the clips
  double psnr_vs_teacher = 0;   // mean PSNR against the teacher's clip of the same prompt and seed
  double predicted_speedup = 1; // FLOP model at SweepRequest::size
  double seconds_per_clip = 0;  // the pipeline's total per clip (text, sampling, decode)
  bool pareto = false;          // no other point is at least as good in quality and speed-up
  bool is_current = false;      // these are the model's own linear layers (as loaded)
};

struct SweepResult {
  std::string ranking_basis;  // what "ranked" ranked by: "sensitivity", "transfer error", ...
  std::vector<SweepPoint> points;
  bool cancelled = false;
};

using method::spread_layers;  // the evenly spread baseline (core/method/layer_ranking.h)

// Marks SweepPoint::pareto on `points` by (eval if every point has one, else PSNR; speed-up).
void mark_pareto(std::vector<SweepPoint>& points);

// Runs the sweep on the loaded model; the model's own layers are unchanged afterwards. `progress`
// gets (clips done, clips in all, a line); returning false cancels after the current clip.
SweepResult sweep(Engine& engine, const SweepRequest& request,
                  const std::function<bool(int, int, const std::string&)>& progress = {});

std::string sweep_json(const SweepResult& result, const SweepRequest& request);
// Reads what sweep_json wrote (the points and the ranking basis); a malformed file is an Error
// naming the file and the field. At most 10,000 points.
SweepResult read_sweep_json(const std::string& path);
std::string sweep_csv(const SweepResult& result);

}  // namespace linvideo::engine
