#include "core/shapes/report.h"

#include <cstdio>
#include <map>

namespace linvideo::shapes {
namespace {

// Running means of the total and every dimension over a group of clips.
struct Summary {
  int clips = 0;
  double total = 0;
  std::array<double, kDimensionCount> dimensions{};
  void add(const ClipScore& s) {
    ++clips;
    total += s.total;
    for (int d = 0; d < kDimensionCount; ++d) dimensions[d] += s.dimensions[d];
  }
  double mean_total() const { return clips ? total / clips : 0.0; }
  double mean(int d) const { return clips ? dimensions[d] / clips : 0.0; }
  nlohmann::json dimensions_json() const {
    nlohmann::json j = nlohmann::json::object();
    for (Dimension d : kDimensions) j[to_string(d)] = mean(static_cast<int>(d));
    return j;
  }
  nlohmann::json json() const {
    return {{"clips", clips}, {"total", mean_total()}, {"dimensions", dimensions_json()}};
  }
};

nlohmann::json dimensions_json(const ClipScore& s) {
  nlohmann::json j = nlohmann::json::object();
  for (Dimension d : kDimensions) j[to_string(d)] = s[d];
  return j;
}

// Column headings of the table, in kDimensions order.
constexpr const char* kShortNames[kDimensionCount] = {
    "count", "colour", "shape", "motion", "bg", "subj", "bgcons", "smooth", "flick", "image"};

void append_row(std::string& out, const std::string& label, double total,
                const std::array<double, kDimensionCount>& dims) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-32.32s %6.1f", label.c_str(), total);
  out += buf;
  for (double d : dims) {
    std::snprintf(buf, sizeof buf, " %6.1f", d);
    out += buf;
  }
  out += "\n";
}

}  // namespace

nlohmann::json report_json(const std::vector<ClipResult>& results) {
  Summary all;
  std::map<std::string, Summary> splits;
  std::map<std::string, Summary> prompts;
  std::vector<std::string> prompt_order;
  double psnr = 0, ssim = 0;
  int references = 0;
  nlohmann::json clips = nlohmann::json::array();
  for (const ClipResult& r : results) {
    const std::string split = to_string(split_of(parse_prompt(r.prompt)));
    all.add(r.score);
    splits[split].add(r.score);
    if (!prompts.count(r.prompt)) prompt_order.push_back(r.prompt);
    prompts[r.prompt].add(r.score);
    nlohmann::json objects = nlohmann::json::array();
    for (const ObjectObservation& o : r.score.objects) {
      objects.push_back({{"expected", o.expected},
                         {"frames_found", o.frames_found},
                         {"colour_seen", o.colour_seen},
                         {"shape_seen", o.shape_seen},
                         {"motion_seen", o.motion_seen},
                         {"displacement", {o.displacement_x, o.displacement_y}},
                         {"jerk", o.jerk}});
    }
    nlohmann::json clip = {{"clip", r.clip},
                           {"prompt", r.prompt},
                           {"split", split},
                           {"frames", r.score.frames},
                           {"total", r.score.total},
                           {"dimensions", dimensions_json(r.score)},
                           {"background_seen", r.score.background_seen},
                           {"edge_width", r.score.edge_width},
                           {"background_noise", r.score.background_noise},
                           {"objects", objects}};
    if (r.fidelity) {
      clip["psnr"] = r.fidelity->psnr;
      clip["ssim"] = r.fidelity->ssim;
      psnr += r.fidelity->psnr, ssim += r.fidelity->ssim, ++references;
    }
    clips.push_back(clip);
  }
  nlohmann::json j;
  j["total"] = all.mean_total();
  j["clips"] = all.clips;
  j["dimensions"] = all.dimensions_json();
  if (references)
    j["fidelity"] = {
        {"psnr", psnr / references}, {"ssim", ssim / references}, {"clips", references}};
  j["splits"] = nlohmann::json::object();
  for (const auto& [name, summary] : splits) j["splits"][name] = summary.json();
  j["prompts"] = nlohmann::json::array();
  for (const std::string& p : prompt_order) {
    nlohmann::json entry = prompts[p].json();
    entry["prompt"] = p;
    entry["split"] = to_string(split_of(parse_prompt(p)));
    j["prompts"].push_back(entry);
  }
  j["results"] = clips;
  return j;
}

std::string report_table(const std::vector<ClipResult>& results) {
  std::string out;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%-32s %6s", "clip", "total");
  out += buf;
  for (const char* name : kShortNames) {
    std::snprintf(buf, sizeof buf, " %6s", name);
    out += buf;
  }
  out += "\n";
  Summary all;
  std::map<std::string, Summary> splits;
  for (const ClipResult& r : results) {
    append_row(out, r.clip, r.score.total, r.score.dimensions);
    all.add(r.score);
    splits[to_string(split_of(parse_prompt(r.prompt)))].add(r.score);
  }
  out += std::string(32 + 7 * (kDimensionCount + 1), '-') + "\n";
  auto summary_row = [&out](const std::string& label, const Summary& s) {
    std::array<double, kDimensionCount> dims{};
    for (int d = 0; d < kDimensionCount; ++d) dims[d] = s.mean(d);
    append_row(out, label + " (" + std::to_string(s.clips) + ")", s.mean_total(), dims);
  };
  for (const auto& [name, summary] : splits) summary_row("mean " + name, summary);
  summary_row("mean all", all);
  return out;
}

}  // namespace linvideo::shapes
