#pragma once
// Wan's 3-D rotary position embedding: the head dim is split into frame / row / column parts
// (t = d - 4*(d/6), h = w = 2*(d/6) real dims), each with its own frequency ladder, rotating
// adjacent pairs (2i, 2i+1).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace linvideo::model {

struct RopeTable {
  at::Tensor rotation;  // [L, 1, head_dim / 2] complex64: e^{i angle} per token and pair
};

RopeTable make_rope_table(std::int64_t frames, std::int64_t rows, std::int64_t cols,
                          std::int64_t head_dim, const at::Device& device);

// x: [B, L, heads, head_dim] (any float dtype). The rotation is one complex multiply in float32;
// the result has dtype `out_dtype`.
at::Tensor apply_rope(const at::Tensor& x, const RopeTable& table, at::ScalarType out_dtype);

}  // namespace linvideo::model
