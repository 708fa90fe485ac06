#pragma once
// Training batches of the shapes world, rasterised with ATen ops on the training device (the GPU
// machine has no OpenCV). Geometry and palette are the world's own (core/shapes), so batches match
// the OpenCV ground truth up to anti-aliasing.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <string>
#include <vector>

namespace linvideo::train {

struct ShapesBatch {
  at::Tensor video;       // [B, 3, F, S, S] in [-1, 1]
  at::Tensor foreground;  // [B, 1, F, S, S] in [0, 1]: object coverage (weights the VAE's loss)
  std::vector<std::string> prompts;
};

struct ShapesBatchOptions {
  int side = 128;
  int frames = 17;
  double two_object_probability = 0.5;
  bool include_held_out = false;  // training never sees held-out prompts
};

// Batch `index` of a deterministic stream: the same (seed, index) gives the same batch.
ShapesBatch make_shapes_batch(int batch_size, std::uint64_t seed, std::uint64_t index,
                              const ShapesBatchOptions& options, const at::Device& device);

}  // namespace linvideo::train
