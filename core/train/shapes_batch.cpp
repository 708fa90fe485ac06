#include "core/train/shapes_batch.h"

#include <ATen/ATen.h>

#include "core/shapes/render.h"
#include "core/shapes/world.h"

namespace linvideo::train {
namespace {

std::uint64_t mix(std::uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

at::Tensor rgb(const shapes::Rgb& c, const at::TensorOptions& o) {
  return at::tensor({c.r / 127.5 - 1.0, c.g / 127.5 - 1.0, c.b / 127.5 - 1.0}, o.dtype(at::kDouble)).to(o).view({3, 1, 1, 1});
}

// Coverage in [0, 1] of one object in every frame: a signed distance, anti-aliased over 1 px.
at::Tensor coverage(const shapes::ObjectSpec& obj, const shapes::ObjectTrack& track, int side,
                    const at::TensorOptions& o) {
  const int frames = static_cast<int>(track.x.size());
  const at::Tensor px = (at::arange(side, o) + 0.5).view({1, 1, side});
  const at::Tensor py = (at::arange(side, o) + 0.5).view({1, side, 1});
  const at::Tensor cx = at::tensor(track.x, o.dtype(at::kDouble)).to(o).view({frames, 1, 1});
  const at::Tensor cy = at::tensor(track.y, o.dtype(at::kDouble)).to(o).view({frames, 1, 1});
  const at::Tensor dx = px - cx, dy = py - cy;
  const double h = track.extent / 2;
  at::Tensor sd;
  switch (obj.shape) {
    case shapes::Shape::Circle: sd = at::sqrt(dx * dx + dy * dy) - h; break;
    case shapes::Shape::Square: sd = at::maximum(dx.abs(), dy.abs()) - h; break;
    case shapes::Shape::Triangle: {
      // Apex up at (0, -h), base corners (+-h, h); outward edge normals, normalised.
      const double n = std::sqrt(1.25);
      const at::Tensor left = (-(dx + h) - 0.5 * (dy - h)) / n;
      const at::Tensor right = ((dx - h) - 0.5 * (dy - h)) / n;
      sd = at::maximum(at::maximum(left, right), dy - h);
      break;
    }
  }
  return (0.5 - sd).clamp(0, 1);  // [F, S, S]
}

}  // namespace

ShapesBatch make_shapes_batch(int batch_size, std::uint64_t seed, std::uint64_t index,
                              const ShapesBatchOptions& options, const at::Device& device) {
  shapes::RenderOptions render;
  render.side = options.side;
  render.frames = options.frames;
  const auto o = at::TensorOptions().dtype(at::kFloat).device(device);
  ShapesBatch b;
  std::vector<at::Tensor> clips, masks;
  std::uint64_t draw = mix(seed ^ mix(index));
  while (static_cast<int>(clips.size()) < batch_size) {
    draw = mix(draw);
    const shapes::SceneSpec scene = shapes::sample_scene(draw, options.two_object_probability);
    if (!options.include_held_out && shapes::is_held_out(scene)) continue;
    const auto tracks = shapes::plan_tracks(scene, draw, render);
    at::Tensor frame = rgb(shapes::palette(scene.background), o).expand({3, options.frames, options.side, options.side});
    at::Tensor mask = at::zeros({1, options.frames, options.side, options.side}, o);
    for (std::size_t i = 0; i < scene.objects.size(); ++i) {
      const at::Tensor cov = coverage(scene.objects[i], tracks[i], options.side, o).unsqueeze(0);
      frame = frame * (1 - cov) + rgb(shapes::palette(scene.objects[i].colour), o) * cov;
      mask = at::maximum(mask, cov);
    }
    clips.push_back(frame);
    masks.push_back(mask);
    b.prompts.push_back(shapes::to_prompt(scene));
  }
  b.video = at::stack(clips, 0);
  b.foreground = at::stack(masks, 0);
  return b;
}

}  // namespace linvideo::train
