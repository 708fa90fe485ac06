#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/linvideo/commands.h"
#include "core/error.h"
#include "core/engine/files.h"

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
    const std::int64_t n = engine::convert_checkpoint(a->input, a->output, a->dtype);
    std::printf("wrote %lld tensors to %s\n", static_cast<long long>(n), a->output.c_str());
  });
}

}  // namespace linvideo::cli
