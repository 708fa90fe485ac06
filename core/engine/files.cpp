#include "core/engine/files.h"

#include <ATen/ATen.h>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"

namespace linvideo::engine {

CheckpointSummary inspect_checkpoint(const std::string& path) { return io::summarize_checkpoint(path); }

const char* dialect_name(io::DitDialect dialect) { return io::dialect_name(dialect); }

std::int64_t convert_checkpoint(const std::string& input, const std::string& output, const std::string& dtype) {
  at::ScalarType target = at::kFloat;
  const bool keep = dtype == "keep";
  if (dtype == "fp32") target = at::kFloat;
  else if (dtype == "bf16") target = at::kBFloat16;
  else if (dtype == "fp16") target = at::kHalf;
  else if (!keep) throw Error("--dtype must be keep, fp32, bf16 or fp16 (got '" + dtype + "')");
  if (output.size() < 12 || output.substr(output.size() - 12) != ".safetensors") {
    throw Error(output + ": output must end in .safetensors");
  }
  const io::Checkpoint ckpt = io::Checkpoint::open(input);
  std::vector<std::pair<std::string, at::Tensor>> tensors;
  for (const auto& key : ckpt.keys()) {
    at::Tensor t = ckpt.tensor(key);
    if (!keep && at::isFloatingType(t.scalar_type())) t = t.to(target);
    tensors.emplace_back(key, t);
  }
  io::write_safetensors(output, tensors, {{"format", "pt"}, {"converted_from", input}});
  return static_cast<std::int64_t>(tensors.size());
}

void save_latents(const std::string& path, const Clip& clip) {
  const pipeline::SampleResult& r = clip.result.sampling;
  if (!r.latents.defined()) throw Error(path + ": the clip has no latents to save");
  io::write_safetensors(path, {{"latents", r.latents.to(at::kCPU)}},
                        {{"prompt", clip.settings.prompt},
                         {"seed", std::to_string(clip.settings.seed)},
                         {"steps_done", std::to_string(r.steps_done)}});
}

}  // namespace linvideo::engine
