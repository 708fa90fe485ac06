// `linvideo scan`: per-layer replaceability of a model's self-attention (attention-transfer error
// and single-layer sensitivity), as a table and JSON.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "app/linvideo/commands.h"
#include "core/prompts_file.h"
#include "core/error.h"
#include "core/atomic_write.h"
#include "core/engine/engine.h"
#include "core/method/layer_mask.h"
#include "core/method/sidecar.h"

namespace linvideo::cli {

void add_scan_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("scan", "How replaceable each self-attention layer is (transfer error, sensitivity)");
  struct Args {
    std::string model, prompts_file, out, device = "auto", sidecar, layers, save_mask, annotate;
    int rank = 0;
    std::vector<std::string> prompts;
    method::ScanOptions o;
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("--model", a->model, "Model folder (default: the embedded shapes model)");
  cmd->add_option("-p,--prompt", a->prompts, "A prompt (repeatable)");
  cmd->add_option("--prompts", a->prompts_file, "A file of prompts, one per line");
  cmd->add_option("--seeds", a->o.seeds, "Seeds per prompt")->capture_default_str();
  cmd->add_option("--steps", a->o.sample_steps, "Sampler steps per run")->capture_default_str();
  cmd->add_option("--transfer-steps", a->o.transfer_steps, "Adam steps of the warm-up per layer")->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
  cmd->add_option("--out", a->out, "Also write the scores as JSON here");
  cmd->add_option("--layers", a->layers, "Only these layers (1-based, e.g. 2-8,10-13)");
  cmd->add_option("--save-sidecar", a->sidecar, "Write the fitted maps as a LinVideo sidecar (all layers softmax)");
  cmd->add_option("--annotate", a->annotate,
                  "Write the scores into this sidecar (the Layers view shows them when it is installed)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--rank", a->rank,
                  "Also name the K most replaceable layers, by the studio's rule (lowest sensitivity, else transfer error)");
  cmd->add_option("--save-mask", a->save_mask, "With --rank: write those layers as a layer mask for generate --linear");
  cmd->callback([a] {
    if (a->rank < 0) throw Error("--rank must be at least 1 (got " + std::to_string(a->rank) + ")");
    if (!a->save_mask.empty() && a->rank == 0) throw Error("--save-mask needs --rank K (how many layers to make linear)");
    if (!a->prompts_file.empty()) {
      for (auto& p : read_prompt_lines(a->prompts_file)) a->prompts.push_back(std::move(p));
    }
    if (a->prompts.empty()) throw Error("scan: give --prompt or --prompts FILE");
    a->o.prompts = a->prompts;
    engine::LoadRequest load;
    load.folder = a->model;
    load.device = a->device;
    engine::Engine engine;
    engine.load(load);
    const std::string model = engine.folder();
    const int num_layers = static_cast<int>(engine.facts().num_layers);
    if (!a->layers.empty()) a->o.only_layers = method::parse_layer_list(a->layers, num_layers, "--layers");
    // The scan measures the teacher; its fitted maps are what --save-sidecar writes, every layer softmax.
    engine.set_layers({engine::LayerChoice::Kind::Teacher, {}, {}}, engine.defaults());
    const auto r = engine.scan(a->o, engine::Engine::Maps::Fitted,
                               [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); });
    std::printf("layer  transfer error (identity -> fitted)  sensitivity\n");
    nlohmann::json j = {{"model", model}, {"seconds", r.seconds}, {"layers", nlohmann::json::array()}};
    for (const auto& l : r.layers) {
      std::printf("%5d  %8.4f -> %8.4f                  %8.4f\n", l.layer, l.transfer_error_before, l.transfer_error,
                  l.sensitivity);
      j["layers"].push_back({{"layer", l.layer}, {"transfer_error_identity", l.transfer_error_before},
                             {"transfer_error", l.transfer_error}, {"sensitivity", l.sensitivity}});
    }
    std::printf("%.1f s\n", r.seconds);
    if (a->rank > 0) {
      const auto ranking = engine::rank_layers(engine::scan_scores(r, a->o.measure_sensitivity), a->rank);
      std::string list;  // most replaceable first
      for (const int l : ranking.layers) list += (list.empty() ? "" : ",") + std::to_string(l);
      std::printf("most replaceable %zu (by %s): %s\n", ranking.layers.size(),
                  method::ranking_basis_name(ranking.basis), list.c_str());
      j["most_replaceable"] = {{"basis", method::ranking_basis_name(ranking.basis)}, {"layers", ranking.layers}};
      if (!a->save_mask.empty()) {
        method::write_layer_mask(a->save_mask, {num_layers, ranking.layers});
        std::printf("mask: %s (generate --linear %s)\n", a->save_mask.c_str(), a->save_mask.c_str());
      }
    }
    if (!a->out.empty()) write_text_atomically(a->out, j.dump(2) + "\n");  // a report is never half-written
    if (!a->annotate.empty()) {
      method::annotate_sidecar(a->annotate, r, a->o.measure_sensitivity);
      std::printf("scores written into %s\n", a->annotate.c_str());
    }
    if (!a->sidecar.empty()) {
      engine.save_sidecar(a->sidecar, "attention-transfer warm-up by linvideo scan",
                          method::scan_scores(r, num_layers, a->o.measure_sensitivity));  // the scan that fitted them
      std::printf("sidecar: %s\n", a->sidecar.c_str());
    }
  });
}

}  // namespace linvideo::cli
