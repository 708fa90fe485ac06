#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/linvideo/commands.h"
#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"

namespace linvideo::cli {

void add_convert_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "convert", "Rewrite a checkpoint (.pth from torch.save, sharded or single safetensors) as one .safetensors file");
  struct Args {
    std::string input, output, dtype = "keep";
  };
  auto a = std::make_shared<Args>();
  cmd->add_option("input", a->input, "A .pth/.pt file, a .safetensors file, an index or a folder")->required();
  cmd->add_option("output", a->output, "The .safetensors file to write (atomically)")->required();
  cmd->add_option("--dtype", a->dtype, "keep, fp32, bf16 or fp16 (floating tensors only)")->capture_default_str();
  cmd->callback([a] {
    at::ScalarType target = at::kFloat;
    const bool keep = a->dtype == "keep";
    if (a->dtype == "fp32") target = at::kFloat;
    else if (a->dtype == "bf16") target = at::kBFloat16;
    else if (a->dtype == "fp16") target = at::kHalf;
    else if (!keep) throw Error("--dtype must be keep, fp32, bf16 or fp16 (got '" + a->dtype + "')");
    if (a->output.size() < 12 || a->output.substr(a->output.size() - 12) != ".safetensors") {
      throw Error(a->output + ": output must end in .safetensors");
    }
    const io::Checkpoint ckpt = io::Checkpoint::open(a->input);
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& key : ckpt.keys()) {
      at::Tensor t = ckpt.tensor(key);
      if (!keep && at::isFloatingType(t.scalar_type())) t = t.to(target);
      tensors.emplace_back(key, t);
    }
    io::write_safetensors(a->output, tensors, {{"format", "pt"}, {"converted_from", a->input}});
    std::printf("wrote %zu tensors to %s\n", tensors.size(), a->output.c_str());
  });
}

}  // namespace linvideo::cli
