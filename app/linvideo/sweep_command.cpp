// `linvideo sweep` (issue 20): quality against predicted speed-up for k = 0..N linear layers, the
// ranked selection against layers spread evenly, as a table, JSON and CSV (core/engine/sweep.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "app/linvideo/commands.h"
#include "core/atomic_write.h"
#include "core/engine/sweep.h"
#include "core/error.h"
#include "core/prompts_file.h"
#include "core/shapes/world.h"

namespace linvideo::cli {
namespace {

struct SweepArgs {
  std::string model, device = "auto", prompts, k = "", json, csv, size = "81x480x832";
  int seeds = 2, steps = 0, frames = 0, prompt_count = 4;
  bool no_spread = false;
};

// "0..8", "0..8:2" (a step) or "0,2,4"; an Error names --k.
std::vector<int> parse_ks(const std::string& text, int layers) {
  if (text.empty()) {
    std::vector<int> all;
    for (int k = 0; k <= layers; ++k) all.push_back(k);
    return all;
  }
  std::vector<int> out;
  try {
    const auto dots = text.find("..");
    if (dots != std::string::npos) {
      const auto colon = text.find(':', dots);
      const int from = std::stoi(text.substr(0, dots));
      const int to = std::stoi(text.substr(dots + 2, colon == std::string::npos ? std::string::npos : colon - dots - 2));
      const int step = colon == std::string::npos ? 1 : std::stoi(text.substr(colon + 1));
      if (step < 1 || to < from) throw Error("");
      for (int k = from; k <= to; k += step) out.push_back(k);
    } else {
      std::size_t pos = 0;
      while (pos <= text.size()) {
        const auto comma = text.find(',', pos);
        out.push_back(std::stoi(text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos)));
        if (comma == std::string::npos) break;
        pos = comma + 1;
      }
    }
  } catch (const std::exception&) {
    throw Error("--k must be FROM..TO[:STEP] or a comma list of layer counts (got '" + text + "')");
  }
  return out;
}

method::VideoSize parse_size(const std::string& text) {
  method::VideoSize s;
  if (std::sscanf(text.c_str(), "%ldx%ldx%ld", &s.frames, &s.height, &s.width) != 3 || s.frames < 1 || s.height < 16 ||
      s.width < 16)
    throw Error("--speedup-at must be FRAMESxHEIGHTxWIDTH, e.g. 81x480x832 (got '" + text + "')");
  return s;
}

void run_sweep(const SweepArgs& a) {
  engine::Engine eng;
  engine::LoadRequest load;
  load.folder = a.model;
  load.device = a.device;
  pipeline::Callbacks log;
  log.on_log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  for (const auto& line : eng.load(load, log)) std::fprintf(stderr, "%s\n", line.c_str());

  engine::SweepRequest r;
  r.seeds = a.seeds;
  r.steps = a.steps;
  r.frames = a.frames;
  r.size = parse_size(a.size);
  r.spread_baseline = !a.no_spread;
  r.ks = parse_ks(a.k, static_cast<int>(eng.layers().layers.size()));
  if (!a.prompts.empty()) {
    r.prompts = read_prompt_lines(a.prompts);
  } else {
    // The shapes world's held-out one-object prompts, the first --prompt-count of them.
    for (const shapes::SceneSpec& s : shapes::all_one_object_scenes())
      if (shapes::is_held_out(s) && static_cast<int>(r.prompts.size()) < a.prompt_count) r.prompts.push_back(shapes::to_prompt(s));
  }
  const engine::SweepResult result = engine::sweep(eng, r, [](int done, int total, const std::string& line) {
    std::fprintf(stderr, "[%d/%d] %s\n", done, total, line.c_str());
    return true;
  });
  std::printf("ranked by: %s; speed-up predicted at %ldx%ldx%ld (frames x height x width)\n", result.ranking_basis.c_str(),
              r.size.frames, r.size.height, r.size.width);
  std::printf("%-8s %3s %-24s %8s %10s %9s %8s %s\n", "", "k", "linear layers", "eval", "PSNR (dB)", "speed-up", "s/clip", "");
  for (const auto& p : result.points) {
    std::string layers;
    for (int l : p.layers) layers += (layers.empty() ? "" : ",") + std::to_string(l);
    std::printf("%-8s %3d %-24s %8s %10.2f %8.3fx %8.2f %s\n", p.selection.c_str(), p.k, layers.empty() ? "-" : layers.c_str(),
                p.eval ? std::to_string(*p.eval).substr(0, 6).c_str() : "-", p.psnr_vs_teacher, p.predicted_speedup,
                p.seconds_per_clip, p.pareto ? (p.is_current ? "pareto, current" : "pareto") : (p.is_current ? "current" : ""));
  }
  if (!a.json.empty()) write_text_atomically(a.json, engine::sweep_json(result, r)), std::printf("json: %s\n", a.json.c_str());
  if (!a.csv.empty()) write_text_atomically(a.csv, engine::sweep_csv(result)), std::printf("csv: %s\n", a.csv.c_str());
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sweep", "Quality against predicted speed-up for k = 0..N linear layers: the ranked selection vs layers spread "
               "evenly (PSNR against the teacher, and the shapes-world eval where the model has it)");
  auto a = std::make_shared<SweepArgs>();
  cmd->add_option("--model", a->model, "Model folder (default: the embedded model)");
  cmd->add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
  cmd->add_option("--k", a->k, "Layer counts: FROM..TO[:STEP] or a comma list (default: 0..N)");
  cmd->add_option("--prompts", a->prompts, "Prompts file, one per line (default: the shapes world's held-out prompts)");
  cmd->add_option("--prompt-count", a->prompt_count, "Held-out prompts to use without --prompts")->capture_default_str();
  cmd->add_option("--seeds", a->seeds, "Seeds per prompt")->capture_default_str();
  cmd->add_option("--steps", a->steps, "Sampling steps (0: the model's default)")->capture_default_str();
  cmd->add_option("--frames", a->frames, "Clip length, 4k+1 (0: the model's default)")->capture_default_str();
  cmd->add_option("--speedup-at", a->size, "Video size of the predicted speed-up, FRAMESxHEIGHTxWIDTH")->capture_default_str();
  cmd->add_flag("--no-spread", a->no_spread, "Only the ranked selection, no evenly spread baseline");
  cmd->add_option("--json", a->json, "Write the table as JSON here");
  cmd->add_option("--csv", a->csv, "Write the table as CSV here");
  cmd->callback([a] { run_sweep(*a); });
}

}  // namespace linvideo::cli
