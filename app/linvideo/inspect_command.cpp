#include <CLI/CLI.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "app/linvideo/commands.h"
#include "core/engine/files.h"

namespace linvideo::cli {
namespace {

std::string human_bytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000.0 && u < 4) b /= 1000.0, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", b, units[u]);
  return buf;
}

std::string grouped(std::uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

void print_text(const engine::CheckpointSummary& s) {
  std::printf("files:      %zu\n", s.files.size());
  for (const auto& f : s.files) std::printf("  %s\n", f.c_str());
  if (s.dialect) {
    const auto& c = s.dit->config;
    std::printf("model:      Wan DiT (%s)\n", c.family().c_str());
    std::printf("dialect:    %s%s\n", engine::dialect_name(s.dialect->dialect),
                s.dialect->prefix.empty() ? "" : (" (prefix '" + s.dialect->prefix + "')").c_str());
    std::printf("config:     %s\n", c.summary().c_str());
    std::printf("            heads %s\n", s.dit->heads_from_config
                                              ? ("from " + s.dit->config_path).c_str()
                                              : "inferred from the weights (head dim 128)");
    std::printf("DiT params: %s (%s expected from the config)\n", grouped(s.parameter_count).c_str(),
                grouped(static_cast<std::uint64_t>(c.parameter_count())).c_str());
  } else {
    std::printf("model:      not a Wan DiT (%s)\n", s.not_a_dit_reason.c_str());
  }
  std::printf("tensors:    %s, %s parameters\n", grouped(s.tensor_count).c_str(),
              grouped(s.parameter_count).c_str());
  std::printf("dtypes:\n");
  for (const auto& [name, u] : s.dtypes) {
    std::printf("  %-8s %6s tensors  %16s params  %10s\n", name.c_str(), grouped(u.tensors).c_str(),
                grouped(u.parameters).c_str(), human_bytes(static_cast<double>(u.bytes)).c_str());
  }
  const double p = static_cast<double>(s.parameter_count);
  std::printf("memory:     %s as stored; %s in bf16; %s in fp32\n",
              human_bytes(static_cast<double>(s.stored_bytes)).c_str(), human_bytes(2 * p).c_str(),
              human_bytes(4 * p).c_str());
}

void print_json(const engine::CheckpointSummary& s) {
  nlohmann::json j;
  j["files"] = s.files;
  j["tensors"] = s.tensor_count;
  j["parameters"] = s.parameter_count;
  j["stored_bytes"] = s.stored_bytes;
  for (const auto& [name, u] : s.dtypes) {
    j["dtypes"][name] = {{"tensors", u.tensors}, {"parameters", u.parameters}, {"bytes", u.bytes}};
  }
  if (s.dialect) {
    const auto& c = s.dit->config;
    j["dit"] = {{"dialect", engine::dialect_name(s.dialect->dialect)},
                {"family", c.family()},
                {"dim", c.dim},
                {"num_layers", c.num_layers},
                {"num_heads", c.num_heads},
                {"ffn_dim", c.ffn_dim},
                {"in_dim", c.in_dim},
                {"out_dim", c.out_dim},
                {"text_dim", c.text_dim},
                {"text_len", c.text_len},
                {"freq_dim", c.freq_dim},
                {"patch", c.patch},
                {"heads_from_config", s.dit->heads_from_config},
                {"expected_parameters", c.parameter_count()}};
  } else {
    j["dit"] = nullptr;
  }
  std::printf("%s\n", j.dump(2).c_str());
}

}  // namespace

void add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "inspect", "Describe a checkpoint: dialect, config, parameters, dtypes, memory footprint");
  auto path = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  cmd->add_option("path", *path, "A .safetensors file, a *.index.json, or a model folder")
      ->required();
  cmd->add_flag("--json", *as_json, "Print machine-readable JSON");
  cmd->callback([path, as_json] {
    const engine::CheckpointSummary s = engine::inspect_checkpoint(*path);
    *as_json ? print_json(s) : print_text(s);
  });
}

}  // namespace linvideo::cli
