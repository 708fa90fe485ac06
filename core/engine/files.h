#pragma once
// The engine's calls on model files, no model loaded: what a checkpoint is (`linvideo inspect`),
// one rewritten as a single safetensors file (`linvideo convert`), and a clip's final latents
// saved (`linvideo generate --save-latents`).
#include <cstdint>
#include <string>

#include "core/engine/engine.h"
#include "core/io/checkpoint_summary.h"

namespace linvideo::engine {

// The checkpoint's files, tensors, dtypes and, for a Wan DiT, its key dialect and configuration.
using CheckpointSummary = io::CheckpointSummary;
CheckpointSummary inspect_checkpoint(const std::string& path);
const char* dialect_name(io::DitDialect dialect);  // "diffusers", "original", ...

// Rewrites any checkpoint the engine reads (.pth, sharded or single safetensors) as one
// safetensors file, written atomically. `dtype`: "keep", "fp32", "bf16" or "fp16" (floating
// tensors only). Returns how many tensors were written; errors name the file or the option.
std::int64_t convert_checkpoint(const std::string& input, const std::string& output, const std::string& dtype);

// The clip's final latents as safetensors ("latents"), tagged with its prompt, seed and steps.
void save_latents(const std::string& path, const Clip& clip);

}  // namespace linvideo::engine
