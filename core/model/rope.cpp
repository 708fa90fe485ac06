#include "core/model/rope.h"

#include <ATen/ATen.h>

namespace linvideo::model {
namespace {

// Angles [positions, axis_dim / 2] for one axis, in float64 as the reference computes them.
at::Tensor axis_angles(std::int64_t positions, std::int64_t axis_dim) {
  const auto opts = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor j = at::arange(0, axis_dim, 2, opts).div(static_cast<double>(axis_dim));
  const at::Tensor omega = at::pow(10000.0, j).reciprocal();
  return at::outer(at::arange(positions, opts), omega);
}

}  // namespace

RopeTable make_rope_table(std::int64_t frames, std::int64_t rows, std::int64_t cols,
                          std::int64_t head_dim, const at::Device& device) {
  const std::int64_t hw_dim = 2 * (head_dim / 6);
  const std::int64_t t_dim = head_dim - 2 * hw_dim;
  const at::Tensor ft = axis_angles(frames, t_dim);  // [F, t/2]
  const at::Tensor fh = axis_angles(rows, hw_dim);   // [H, h/2]
  const at::Tensor fw = axis_angles(cols, hw_dim);   // [W, w/2]
  const std::int64_t L = frames * rows * cols;
  // Token order is (frame, row, column), row-major.
  const at::Tensor angles = at::cat(
      {ft.view({frames, 1, 1, -1}).expand({frames, rows, cols, t_dim / 2}),
       fh.view({1, rows, 1, -1}).expand({frames, rows, cols, hw_dim / 2}),
       fw.view({1, 1, cols, -1}).expand({frames, rows, cols, hw_dim / 2})},
      -1).reshape({L, head_dim / 2});
  const at::Tensor rotation = at::polar(at::ones_like(angles), angles).to(at::kComplexFloat);
  return {rotation.unsqueeze(1).to(device)};
}

at::Tensor apply_rope(const at::Tensor& x, const RopeTable& table, at::ScalarType out_dtype) {
  const auto sizes = x.sizes();
  const at::Tensor pairs = at::view_as_complex(
      x.to(at::kFloat).contiguous().view({sizes[0], sizes[1], sizes[2], sizes[3] / 2, 2}));
  return at::view_as_real(pairs * table.rotation).view(sizes).to(out_dtype);
}

}  // namespace linvideo::model
