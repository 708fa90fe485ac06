#include "core/engine/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/atomic_write.h"
#include "core/engine/compare.h"
#include "core/error.h"
#include "core/json_fields.h"

namespace linvideo::engine {

void mark_pareto(std::vector<SweepPoint>& points) {
  const bool by_eval = std::all_of(points.begin(), points.end(), [](const SweepPoint& p) { return p.eval.has_value(); });
  auto quality = [by_eval](const SweepPoint& p) { return by_eval ? *p.eval : p.psnr_vs_teacher; };
  for (auto& p : points) {
    p.pareto = std::none_of(points.begin(), points.end(), [&](const SweepPoint& o) {
      return quality(o) >= quality(p) && o.predicted_speedup >= p.predicted_speedup &&
             (quality(o) > quality(p) || o.predicted_speedup > p.predicted_speedup);
    });
  }
}

namespace {

std::string layer_list(const std::vector<int>& layers) {
  std::string s;
  for (int l : layers) s += (s.empty() ? "" : ",") + std::to_string(l);
  return s;
}

}  // namespace

SweepResult sweep(Engine& engine, const SweepRequest& r, const std::function<bool(int, int, const std::string&)>& progress) {
  if (r.prompts.empty()) throw Error("sweep: no prompts");
  if (r.seeds < 1) throw Error("sweep: --seeds must be at least 1");
  if (r.ks.empty()) throw Error("sweep: no k to sweep");
  const LayerTable table = engine.layers();
  const int n = static_cast<int>(table.layers.size());
  for (int k : r.ks)
    if (k < 0 || k > n) throw Error("sweep: --k " + std::to_string(k) + " is outside 0.." + std::to_string(n) + " (the model has " + std::to_string(n) + " layers)");

  std::vector<LayerScores> scores;
  for (const LayerInfo& l : table.layers) {
    LayerScores s;
    s.layer = l.layer;
    s.r = l.shown_r();
    if (l.transfer_error) s.transfer_error = *l.transfer_error;
    if (l.sensitivity) s.sensitivity = *l.sensitivity;
    scores.push_back(s);
  }
  SweepResult out;
  const LayerRanking ranking = rank_layers(scores, n);  // each k takes its first k
  out.ranking_basis = method::ranking_basis_name(ranking.basis);

  // The points to run, the teacher first (every other point's PSNR is against its clips); a layer
  // set that two selections share runs once.
  std::vector<SweepPoint> plan;
  plan.push_back({"teacher", 0, {}, {}, 0, 1, 0, false});
  std::vector<int> ks = r.ks;
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  for (int k : ks) {
    if (k == 0) continue;
    std::vector<int> ranked(ranking.layers.begin(), ranking.layers.begin() + k);
    std::sort(ranked.begin(), ranked.end());
    plan.push_back({"ranked", k, ranked, {}, 0, 1, 0, false});
    if (r.spread_baseline) {
      const std::vector<int> spread = spread_layers(n, k);
      if (spread != ranked) plan.push_back({"spread", k, spread, {}, 0, 1, 0, false});
    }
  }
  // The model's own layers as loaded (the shipped sidecar's selection), when some are linear and no
  // other point has that set: the point a user starts from.
  std::vector<int> current;
  for (const LayerInfo& l : table.layers)
    if (l.mode == LayerMode::Linear) current.push_back(l.layer);
  if (r.current_point && !current.empty() &&
      std::none_of(plan.begin(), plan.end(), [&](const SweepPoint& p) { return p.layers == current; })) {
    plan.push_back({"current", static_cast<int>(current.size()), current, {}, 0, 1, 0, false});
  }
  for (auto& p : plan)
    if (p.layers == current && !current.empty()) p.is_current = true;
  // A layer without maps would be fitted again for every clip (each clip leaves the model as it
  // was): refuse up front instead of running for hours.
  std::vector<int> missing;
  for (const LayerInfo& l : table.layers)
    if (!l.has_maps && std::any_of(plan.begin(), plan.end(), [&](const SweepPoint& p) {
          return std::find(p.layers.begin(), p.layers.end(), l.layer) != p.layers.end();
        }))
      missing.push_back(l.layer);
  if (!missing.empty())
    throw Error("sweep: layers " + layer_list(missing) +
                " have no linear maps; save a sidecar with maps for every layer into the model folder first "
                "(linvideo scan --save-sidecar FOLDER/NAME.linvideo.safetensors)");
  for (auto& p : plan) {
    p.predicted_speedup = method::estimate_forward_cost(table.config, r.size, p.layers, -1, table.vae_temporal_stride,
                                                        table.vae_spatial_stride)
                              .predicted_speedup;
  }

  pipeline::GenerationSettings base = engine.defaults();
  if (r.steps > 0) base.steps = r.steps;
  if (r.frames > 0) base.frames = r.frames;
  const int per_point = static_cast<int>(r.prompts.size()) * r.seeds;
  const int total = per_point * static_cast<int>(plan.size());
  std::vector<media::VideoFrames> teacher;  // the teacher's clip of each (prompt, seed), in order
  int done = 0;
  for (auto& p : plan) {
    LayerChoice choice;
    if (p.layers.empty()) {
      choice.kind = LayerChoice::Kind::Teacher;
    } else {
      choice.kind = LayerChoice::Kind::Linear;
      choice.linear = layer_list(p.layers);
    }
    double eval_sum = 0, psnr_sum = 0, seconds = 0;
    int evals = 0, psnrs = 0;
    const bool is_teacher = p.layers.empty();
    for (std::size_t i = 0; i < r.prompts.size(); ++i) {
      for (int seed = 0; seed < r.seeds; ++seed) {
        pipeline::GenerationSettings s = base;
        s.prompt = r.prompts[i];
        s.seed = static_cast<std::uint64_t>(seed);
        const std::size_t clip_index = i * static_cast<std::size_t>(r.seeds) + static_cast<std::size_t>(seed);
        VariantResult v = compare_variant(engine, s, {p.selection, choice}, is_teacher ? nullptr : &teacher[clip_index]);
        if (v.cancelled()) {
          out.cancelled = true;
          return out;
        }
        seconds += v.clip.result.total_seconds;
        const ClipMetrics& m = v.metrics;
        if (m.eval_total) eval_sum += *m.eval_total, ++evals;
        if (m.psnr) psnr_sum += *m.psnr, ++psnrs;
        if (is_teacher) teacher.push_back(std::move(v.frames));
        ++done;
        char line[160];
        std::snprintf(line, sizeof line, "%s k=%d: clip %d/%d%s", p.selection.c_str(), p.k, done, total,
                      m.eval_total ? (", eval " + std::to_string(*m.eval_total).substr(0, 5)).c_str() : "");
        if (progress && !progress(done, total, line)) {
          out.cancelled = true;
          return out;
        }
      }
    }
    if (evals == per_point) p.eval = eval_sum / evals;
    p.psnr_vs_teacher = p.layers.empty() ? 100.0 : (psnrs > 0 ? psnr_sum / psnrs : 0.0);
    p.seconds_per_clip = seconds / per_point;
    out.points.push_back(p);
  }
  mark_pareto(out.points);
  return out;
}

std::string sweep_json(const SweepResult& result, const SweepRequest& request) {
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : result.points) {
    nlohmann::json j = {{"selection", p.selection},
                        {"k", p.k},
                        {"layers", p.layers},
                        {"psnr_vs_teacher", p.psnr_vs_teacher},
                        {"predicted_speedup", p.predicted_speedup},
                        {"seconds_per_clip", p.seconds_per_clip},
                        {"pareto", p.pareto},
                        {"current", p.is_current}};
    j["eval"] = p.eval ? nlohmann::json(*p.eval) : nlohmann::json(nullptr);
    points.push_back(j);
  }
  const nlohmann::json j = {{"format", "linvideo-sweep"},
                            {"ranking_basis", result.ranking_basis},
                            {"prompts", request.prompts},
                            {"seeds", request.seeds},
                            {"steps", request.steps},
                            {"speedup_at", {{"frames", request.size.frames}, {"height", request.size.height}, {"width", request.size.width}}},
                            {"points", points}};
  return j.dump(2) + "\n";
}

SweepResult read_sweep_json(const std::string& path) {
  const nlohmann::json j = parse_json_object(read_text_file(path), path);
  if (read_json_string(j, "format", "", path) != "linvideo-sweep") throw Error(path + ": field 'format' must be \"linvideo-sweep\"");
  SweepResult r;
  r.ranking_basis = read_json_string(j, "ranking_basis", "", path, 64);
  const auto it = j.find("points");
  if (it == j.end() || !it->is_array()) throw Error(path + ": field 'points' must be a list");
  if (it->size() > 10000) throw Error(path + ": field 'points' has more than 10000 entries");
  for (std::size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& e = (*it)[i];
    const std::string label = path + ": points[" + std::to_string(i) + "]";
    if (!e.is_object()) throw Error(label + " must be an object");
    SweepPoint p;
    p.selection = require_json_string(e, "selection", label);
    if (p.selection != "teacher" && p.selection != "ranked" && p.selection != "spread" && p.selection != "current")
      throw Error(label + ": field 'selection' must be teacher, ranked, spread or current (got \"" + p.selection + "\")");
    p.k = static_cast<int>(require_json_int(e, "k", 0, 100000, label));
    const auto layers = e.find("layers");
    if (layers == e.end() || !layers->is_array() || layers->size() > 100000) throw Error(label + ": field 'layers' must be a list");
    for (const auto& l : *layers) {
      if (!l.is_number_integer() || l.get<std::int64_t>() < 1 || l.get<std::int64_t>() > 100000)
        throw Error(label + ": field 'layers' must hold layer numbers from 1 (got " + l.dump() + ")");
      p.layers.push_back(static_cast<int>(l.get<std::int64_t>()));
    }
    if (e.contains("eval") && !e.at("eval").is_null()) p.eval = read_json_number(e, "eval", 0, 100, 0, label);
    p.psnr_vs_teacher = read_json_number(e, "psnr_vs_teacher", 0, 1000, 0, label);
    p.predicted_speedup = read_json_number(e, "predicted_speedup", 1e-6, 1e9, 1, label);
    p.seconds_per_clip = read_json_number(e, "seconds_per_clip", 0, 1e9, 0, label);
    for (const auto& [key, out] : {std::pair<const char*, bool*>{"pareto", &p.pareto}, {"current", &p.is_current}}) {
      const auto f = e.find(key);
      if (f == e.end() || f->is_null()) continue;
      if (!f->is_boolean()) throw Error(label + ": field '" + key + "' must be true or false (got " + f->dump() + ")");
      *out = f->get<bool>();
    }
    r.points.push_back(std::move(p));
  }
  return r;
}

std::string sweep_csv(const SweepResult& result) {
  std::string csv = "selection,k,layers,eval,psnr_vs_teacher,predicted_speedup,seconds_per_clip,pareto,current\n";
  for (const auto& p : result.points) {
    char row[256];
    std::snprintf(row, sizeof row, "%s,%d,\"%s\",%s,%.3f,%.4f,%.3f,%d,%d\n", p.selection.c_str(), p.k, layer_list(p.layers).c_str(),
                  p.eval ? std::to_string(*p.eval).c_str() : "", p.psnr_vs_teacher, p.predicted_speedup, p.seconds_per_clip,
                  p.pareto ? 1 : 0, p.is_current ? 1 : 0);
    csv += row;
  }
  return csv;
}

}  // namespace linvideo::engine
