#include "core/model/wan_vae.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

#include "core/error.h"
#include "core/json_fields.h"
#include "core/io/checkpoint.h"
#include "core/io/vae_dialect.h"
#include "core/model/attention.h"

namespace linvideo::model {
namespace {

// Where the weights come from; every tensor is shape-checked and converted here.
using Fetch = std::function<at::Tensor(const std::string& internal, at::IntArrayRef shape)>;

// Per-convolution temporal caches of one encode or decode pass, visited in a fixed order.
struct FeatureCache {
  explicit FeatureCache(const VaeOptions& o) : frame_convs(o.frame_convs && o.device.is_cpu()) {}
  const bool frame_convs;  // VaeOptions::frame_convs where it applies (CPU), for every causal conv of the pass
  std::vector<at::Tensor> slots;
  std::vector<bool> replicate;  // decoder upsample on its first chunk: "no cache yet, skip"
  std::size_t next = 0;
  std::size_t take() {
    const std::size_t i = next++;
    if (slots.size() <= i) slots.resize(i + 1), replicate.resize(i + 1, false);
    return i;
  }
};

at::Tensor last_frames(const at::Tensor& x, std::int64_t n) {
  const std::int64_t t = x.size(2);
  return x.narrow(2, std::max<std::int64_t>(0, t - n), std::min(n, t)).clone();
}

struct CausalConv3d {
  at::Tensor weight, bias;
  std::int64_t pad_t = 0, pad_h = 0, pad_w = 0, stride_t = 1;

  // Causal in time: the front padding (2 * p_t) is filled by the cached frames of the last chunk.
  // `frame_convs`: see VaeOptions::frame_convs.
  at::Tensor operator()(at::Tensor x, const at::Tensor& cache, bool frame_convs = false) const {
    std::int64_t pt = pad_t;
    if (cache.defined() && pt > 0) {
      x = at::cat({cache.to(x.scalar_type()), x}, 2);
      pt -= cache.size(2);
    }
    if (pt > 0) x = at::constant_pad_nd(x, {0, 0, 0, 0, pt, 0}, 0.0);
    const std::int64_t kt = weight.size(2);
    if (frame_convs && stride_t == 1 && kt > 1 && x.size(2) >= kt) return by_frames(x);
    return at::conv3d(x, weight, bias, {stride_t, 1, 1}, {0, pad_h, pad_w});
  }

  // The same convolution as a sum over the kt time taps of 2-D convolutions whose batch is the
  // frames: x is made frame-major once, so each tap reads a contiguous slice of it. On CPU this is
  // 3-4x faster than at::conv3d at the decoder's wide, shallow stages (oneDNN's 2-D kernels).
  at::Tensor by_frames(const at::Tensor& x) const {
    const std::int64_t B = x.size(0), kt = weight.size(2), t_out = x.size(2) - kt + 1;
    std::vector<at::Tensor> outs;
    for (std::int64_t b = 0; b < B; ++b) {
      const at::Tensor frames = x[b].transpose(0, 1).contiguous();  // [T, C, H, W]
      at::Tensor acc;
      for (std::int64_t k = 0; k < kt; ++k) {
        const at::Tensor y = at::conv2d(frames.narrow(0, k, t_out), weight.select(2, k),
                                        k == 0 ? bias : at::Tensor(), 1, {pad_h, pad_w});
        acc = k == 0 ? y : acc.add_(y);
      }
      outs.push_back(acc.transpose(0, 1));  // [C_out, t_out, H', W']
    }
    return at::stack(outs, 0).contiguous();
  }
};

CausalConv3d make_conv(const Fetch& f, const std::string& name, std::int64_t out, std::int64_t in,
                       std::int64_t k) {
  CausalConv3d c;
  c.weight = f(name + ".weight", {out, in, k, k, k});
  c.bias = f(name + ".bias", {out});
  c.pad_t = 2 * (k / 2), c.pad_h = k / 2, c.pad_w = k / 2;
  return c;
}

// Runs a causal conv inside a chunked pass, updating its cache with the last two input frames.
at::Tensor cached(const CausalConv3d& conv, const at::Tensor& x, FeatureCache& cache) {
  const std::size_t i = cache.take();
  at::Tensor keep = last_frames(x, 2);
  if (keep.size(2) < 2 && cache.slots[i].defined()) {
    keep = at::cat({last_frames(cache.slots[i], 1), keep}, 2);
  }
  at::Tensor out = conv(x, cache.slots[i], cache.frame_convs);
  cache.slots[i] = keep;
  return out;
}

// F.normalize over channels, times sqrt(C) and a learned gain: Wan's RMS_norm. The norm is taken in
// float32 whatever the activations' dtype (a bf16 sum of squares over 384 channels loses digits).
at::Tensor channel_rms_norm(const at::Tensor& x, const at::Tensor& gamma) {
  const double scale = std::sqrt(static_cast<double>(x.size(1)));
  if (x.scalar_type() == at::kFloat) {
    const at::Tensor norm = x.norm(2, {1}, /*keepdim=*/true).clamp_min(1e-12);
    return x / norm * (gamma * scale);
  }
  const at::Tensor inv = x.norm(2, {1}, /*keepdim=*/true, at::kFloat).clamp_min(1e-12).reciprocal();
  return (x * (inv * scale).to(x.scalar_type())) * gamma;
}

struct ResidualBlock {
  at::Tensor gamma1, gamma2;
  CausalConv3d conv1, conv2, shortcut;
  bool has_shortcut = false;

  at::Tensor forward(const at::Tensor& x, FeatureCache& cache) const {
    const at::Tensor h = has_shortcut ? shortcut(x, {}) : x;
    at::Tensor y = cached(conv1, at::silu(channel_rms_norm(x, gamma1)), cache);
    y = cached(conv2, at::silu(channel_rms_norm(y, gamma2)), cache);
    return y + h;
  }
};

ResidualBlock make_residual(const Fetch& f, const std::string& p, std::int64_t in, std::int64_t out) {
  ResidualBlock r;
  r.gamma1 = f(p + ".residual.0.gamma", {in, 1, 1, 1});
  r.conv1 = make_conv(f, p + ".residual.2", out, in, 3);
  r.gamma2 = f(p + ".residual.3.gamma", {out, 1, 1, 1});
  r.conv2 = make_conv(f, p + ".residual.6", out, out, 3);
  if (in != out) {
    r.has_shortcut = true;
    r.shortcut = make_conv(f, p + ".shortcut", out, in, 1);
  }
  return r;
}

// Single-head spatial self-attention per frame.
struct AttentionBlock {
  at::Tensor gamma, qkv_w, qkv_b, proj_w, proj_b;

  at::Tensor forward(const at::Tensor& x) const {
    const std::int64_t B = x.size(0), C = x.size(1), T = x.size(2), H = x.size(3), W = x.size(4);
    const at::Tensor frames = x.permute({0, 2, 1, 3, 4}).reshape({B * T, C, H, W});
    const at::Tensor qkv = at::conv2d(channel_rms_norm(frames, gamma), qkv_w, qkv_b)
                               .reshape({B * T, 1, 3 * C, H * W})
                               .permute({0, 1, 3, 2});
    const auto parts = qkv.chunk(3, -1);
    const at::Tensor o = softmax_attention(parts[0].contiguous(), parts[1].contiguous(), parts[2].contiguous());
    const at::Tensor y = at::conv2d(o.squeeze(1).permute({0, 2, 1}).reshape({B * T, C, H, W}), proj_w, proj_b);
    return y.reshape({B, T, C, H, W}).permute({0, 2, 1, 3, 4}) + x;
  }
};

AttentionBlock make_attention(const Fetch& f, const std::string& p, std::int64_t c) {
  return {f(p + ".norm.gamma", {c, 1, 1}), f(p + ".to_qkv.weight", {3 * c, c, 1, 1}),
          f(p + ".to_qkv.bias", {3 * c}), f(p + ".proj.weight", {c, c, 1, 1}), f(p + ".proj.bias", {c})};
}

struct Resample {
  enum class Mode { Up2d, Up3d, Down2d, Down3d } mode;
  at::Tensor weight, bias;  // the 2-D conv
  CausalConv3d time_conv;

  at::Tensor forward(at::Tensor x, FeatureCache& cache) const {
    std::int64_t B = x.size(0), C = x.size(1), T = x.size(2);
    if (mode == Mode::Up3d) {
      const std::size_t i = cache.take();
      if (!cache.slots[i].defined() && !cache.replicate[i]) {
        cache.replicate[i] = true;  // first chunk: one frame stays one frame
      } else {
        at::Tensor keep = last_frames(x, 2);
        if (keep.size(2) < 2) {
          keep = at::cat({cache.replicate[i] ? at::zeros_like(keep) : last_frames(cache.slots[i], 1), keep}, 2);
        }
        x = time_conv(x, cache.replicate[i] ? at::Tensor() : cache.slots[i], cache.frame_convs);
        cache.slots[i] = keep;
        cache.replicate[i] = false;
        // Channels [2, C] become two frames per input frame, interleaved in time.
        const std::int64_t H = x.size(3), W = x.size(4);
        x = x.reshape({B, 2, C, T, H, W});
        x = at::stack({x.select(1, 0), x.select(1, 1)}, 3).reshape({B, C, 2 * T, H, W});
        T *= 2;
      }
    }
    const std::int64_t H = x.size(3), W = x.size(4);
    at::Tensor frames = x.permute({0, 2, 1, 3, 4}).reshape({B * T, C, H, W});
    if (mode == Mode::Up2d || mode == Mode::Up3d) {
      // Nearest upsampling of bf16 on CPU needs LibTorch 2; it is exact in float32 anyway.
      frames = frames.is_cpu() ? at::upsample_nearest2d(frames.to(at::kFloat), {2 * H, 2 * W}).to(x.scalar_type())
                               : at::upsample_nearest2d(frames, {2 * H, 2 * W});
      frames = at::conv2d(frames, weight, bias, 1, 1);
    } else {
      frames = at::conv2d(at::constant_pad_nd(frames, {0, 1, 0, 1}, 0.0), weight, bias, 2);
    }
    x = frames.reshape({B, T, frames.size(1), frames.size(2), frames.size(3)}).permute({0, 2, 1, 3, 4});
    if (mode == Mode::Down3d) {
      const std::size_t i = cache.take();
      if (!cache.slots[i].defined()) {
        cache.slots[i] = last_frames(x, 1);  // first chunk: one frame stays one frame
      } else {
        const at::Tensor keep = last_frames(x, 1);
        x = time_conv(at::cat({cache.slots[i], x}, 2), {});
        cache.slots[i] = keep;
      }
    }
    return x;
  }
};

Resample make_resample(const Fetch& f, const std::string& p, std::int64_t dim, Resample::Mode mode) {
  Resample r;
  r.mode = mode;
  const bool up = mode == Resample::Mode::Up2d || mode == Resample::Mode::Up3d;
  const std::int64_t out = up ? dim / 2 : dim;
  r.weight = f(p + ".resample.1.weight", {out, dim, 3, 3});
  r.bias = f(p + ".resample.1.bias", {out});
  if (mode == Resample::Mode::Up3d) {
    r.time_conv.weight = f(p + ".time_conv.weight", {2 * dim, dim, 3, 1, 1});
    r.time_conv.bias = f(p + ".time_conv.bias", {2 * dim});
    r.time_conv.pad_t = 2;
  } else if (mode == Resample::Mode::Down3d) {
    r.time_conv.weight = f(p + ".time_conv.weight", {dim, dim, 3, 1, 1});
    r.time_conv.bias = f(p + ".time_conv.bias", {dim});
    r.time_conv.stride_t = 2;
  }
  return r;
}

using Layer = std::variant<ResidualBlock, AttentionBlock, Resample>;

at::Tensor run_layer(const Layer& layer, const at::Tensor& x, FeatureCache& cache) {
  if (const auto* r = std::get_if<ResidualBlock>(&layer)) return r->forward(x, cache);
  if (const auto* a = std::get_if<AttentionBlock>(&layer)) return a->forward(x);
  return std::get<Resample>(layer).forward(x, cache);
}

// Encoder or decoder: conv_in, the body in execution order (encoder: downsampling stack then
// middle; decoder: middle then upsampling stack), and the head.
struct Coder {
  CausalConv3d conv_in;
  std::vector<Layer> body;
  at::Tensor head_gamma;
  CausalConv3d head_conv;

  at::Tensor forward(const at::Tensor& x_in, FeatureCache& cache) const {
    cache.next = 0;
    at::Tensor x = cached(conv_in, x_in, cache);
    for (const auto& l : body) x = run_layer(l, x, cache);
    return cached(head_conv, at::silu(channel_rms_norm(x, head_gamma)), cache);
  }
};

void append_middle(std::vector<Layer>& body, const Fetch& f, const std::string& p, std::int64_t dim) {
  body.push_back(make_residual(f, p + ".middle.0", dim, dim));
  body.push_back(make_attention(f, p + ".middle.1", dim));
  body.push_back(make_residual(f, p + ".middle.2", dim, dim));
}

Coder make_encoder(const Fetch& f, const VaeConfig& c) {
  std::vector<std::int64_t> dims = {c.base_dim};
  for (auto m : c.dim_mult) dims.push_back(c.base_dim * m);
  Coder e;
  e.conv_in = make_conv(f, "encoder.conv1", dims[0], 3, 3);
  std::int64_t n = 0;
  const std::size_t stages = c.dim_mult.size();
  for (std::size_t i = 0; i < stages; ++i) {
    std::int64_t in = dims[i];
    const std::int64_t out = dims[i + 1];
    for (std::int64_t r = 0; r < c.num_res_blocks; ++r, ++n) {
      e.body.push_back(make_residual(f, "encoder.downsamples." + std::to_string(n), in, out));
      in = out;
    }
    if (i + 1 != stages) {
      const auto mode = c.temporal_downsample[i] ? Resample::Mode::Down3d : Resample::Mode::Down2d;
      e.body.push_back(make_resample(f, "encoder.downsamples." + std::to_string(n++), out, mode));
    }
  }
  const std::int64_t top = dims.back();
  append_middle(e.body, f, "encoder", top);
  e.head_gamma = f("encoder.head.0.gamma", {top, 1, 1, 1});
  e.head_conv = make_conv(f, "encoder.head.2", 2 * c.z_dim, top, 3);
  return e;
}

Coder make_decoder(const Fetch& f, const VaeConfig& c) {
  std::vector<std::int64_t> dims = {c.base_dim * c.dim_mult.back()};
  for (auto it = c.dim_mult.rbegin(); it != c.dim_mult.rend(); ++it) dims.push_back(c.base_dim * *it);
  Coder d;
  d.conv_in = make_conv(f, "decoder.conv1", dims[0], c.z_dim, 3);
  append_middle(d.body, f, "decoder", dims[0]);
  std::int64_t n = 0;
  const std::size_t stages = c.dim_mult.size();
  for (std::size_t i = 0; i < stages; ++i) {
    std::int64_t in = i > 0 ? dims[i] / 2 : dims[i];  // each upsample halved the channels
    const std::int64_t out = dims[i + 1];
    for (std::int64_t r = 0; r <= c.num_res_blocks; ++r, ++n) {
      d.body.push_back(make_residual(f, "decoder.upsamples." + std::to_string(n), in, out));
      in = out;
    }
    if (i + 1 != stages) {
      // Temporal upsampling mirrors the encoder's downsampling, deepest stage first.
      const bool temporal = c.temporal_downsample[stages - 2 - i];
      const auto mode = temporal ? Resample::Mode::Up3d : Resample::Mode::Up2d;
      d.body.push_back(make_resample(f, "decoder.upsamples." + std::to_string(n++), out, mode));
    }
  }
  d.head_gamma = f("decoder.head.0.gamma", {dims.back(), 1, 1, 1});
  d.head_conv = make_conv(f, "decoder.head.2", 3, dims.back(), 3);
  return d;
}

}  // namespace

struct WanVAE::Impl {
  std::vector<std::pair<std::string, at::Tensor>> weights;  // as fetched, in build order
  Coder encoder, decoder;
  CausalConv3d quant_conv, post_quant_conv;  // original conv1 / conv2
  at::Tensor mean, inv_std;                  // [1, z, 1, 1, 1] float32
};

WanVAE::WanVAE(VaeConfig config, VaeOptions options)
    : config_(std::move(config)), options_(options), impl_(std::make_unique<Impl>()) {}
WanVAE::~WanVAE() = default;

namespace {
bool channels_last(const VaeOptions& o) { return o.channels_last && o.device.is_cuda(); }

// Convolution weights channels-last where VaeOptions::channels_last applies, else contiguous.
at::Tensor to_layout(const at::Tensor& t, const VaeOptions& o) {
  if (channels_last(o) && t.dim() == 5) return t.contiguous(at::MemoryFormat::ChannelsLast3d);
  if (channels_last(o) && t.dim() == 4) return t.contiguous(at::MemoryFormat::ChannelsLast);
  return t.contiguous();
}

std::unique_ptr<WanVAE::Impl> build_impl(const Fetch& source, const VaeConfig& c, const VaeOptions& o) {
  auto impl = std::make_unique<WanVAE::Impl>();
  WanVAE::Impl* raw = impl.get();
  const Fetch f = [&source, raw](const std::string& name, at::IntArrayRef shape) {
    at::Tensor t = source(name, shape);
    raw->weights.emplace_back(name, t);
    return t;
  };
  impl->encoder = make_encoder(f, c);
  impl->decoder = make_decoder(f, c);
  impl->quant_conv = make_conv(f, "conv1", 2 * c.z_dim, 2 * c.z_dim, 1);
  impl->post_quant_conv = make_conv(f, "conv2", c.z_dim, c.z_dim, 1);
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(o.device);
  impl->mean = at::tensor(c.latents_mean, at::kDouble).to(opts).view({1, -1, 1, 1, 1});
  impl->inv_std = at::tensor(c.latents_std, at::kDouble).to(opts).reciprocal().view({1, -1, 1, 1, 1});
  return impl;
}
}  // namespace

std::unique_ptr<WanVAE> WanVAE::load(const io::Checkpoint& ckpt, const io::VaeKeyMap& keys,
                                     const VaeConfig& config, const VaeOptions& options) {
  config.validate(ckpt.source());
  const Fetch fetch = [&](const std::string& internal, at::IntArrayRef shape) {
    const std::string stored = keys.to_stored(internal);
    if (!ckpt.contains(stored)) throw Error(ckpt.source() + ": missing VAE tensor '" + stored + "'");
    const at::Tensor t = ckpt.tensor(stored);
    if (t.sizes() != shape) {
      throw Error(ckpt.file_of(stored) + ": VAE tensor '" + stored + "' has shape " + c10::str(t.sizes()) +
                  ", expected " + c10::str(shape));
    }
    if (!at::isFloatingType(t.scalar_type())) {
      throw Error(ckpt.file_of(stored) + ": VAE tensor '" + stored + "' is not floating point");
    }
    return to_layout(t.to(options.device, options.dtype), options);
  };
  std::unique_ptr<WanVAE> vae(new WanVAE(config, options));
  vae->impl_ = build_impl(fetch, config, options);
  return vae;
}

std::unique_ptr<WanVAE> WanVAE::random(const VaeConfig& config, const VaeOptions& options, std::uint64_t seed) {
  config.validate("random VAE");
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const Fetch fetch = [&](const std::string& name, at::IntArrayRef shape) {
    at::Tensor t = at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat));
    if (name.size() > 6 && name.compare(name.size() - 6, 6, ".gamma") == 0) {
      t = 1 + 0.1 * t;
    } else if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      t = 0.02 * t;
    } else {
      std::int64_t fan_in = 1;
      for (std::size_t i = 1; i < shape.size(); ++i) fan_in *= shape[i];
      t = t / std::sqrt(static_cast<double>(fan_in));
    }
    return to_layout(t.to(options.device, options.dtype), options);
  };
  std::unique_ptr<WanVAE> vae(new WanVAE(config, options));
  vae->impl_ = build_impl(fetch, config, options);
  return vae;
}

at::Tensor WanVAE::encode(const at::Tensor& video) const {
  const std::int64_t ts = config_.temporal_stride(), ss = config_.spatial_stride();
  if (video.dim() != 5 || video.size(1) != 3 || (video.size(2) - 1) % ts != 0 || video.size(3) % ss ||
      video.size(4) % ss) {
    throw Error("VAE encode: video must be [B, 3, 1 + " + std::to_string(ts) + "k, H, W] with H, W multiples of " +
                std::to_string(ss) + ", got " + c10::str(video.sizes()));
  }
  const at::Tensor x = to_layout(video.to(options_.device, options_.dtype), options_);
  FeatureCache cache(options_);
  std::vector<at::Tensor> chunks;
  const std::int64_t T = x.size(2);
  for (std::int64_t start = 0; start < T; start += (start == 0 ? 1 : ts)) {
    const std::int64_t len = start == 0 ? 1 : ts;
    chunks.push_back(impl_->encoder.forward(x.narrow(2, start, len), cache));
  }
  const at::Tensor moments = impl_->quant_conv(at::cat(chunks, 2), {});
  return moments.narrow(1, 0, config_.z_dim).to(at::kFloat);
}

at::Tensor WanVAE::decode_untiled(const at::Tensor& z,
                                  const std::function<void(std::int64_t, std::int64_t)>& on_chunk, bool clamp) const {
  const at::Tensor x = impl_->post_quant_conv(to_layout(z.to(options_.device, options_.dtype), options_), {});
  FeatureCache cache(options_);
  std::vector<at::Tensor> frames;
  const std::int64_t T = x.size(2);
  for (std::int64_t i = 0; i < T; ++i) {
    at::Tensor frame = impl_->decoder.forward(x.narrow(2, i, 1), cache).to(at::kFloat);
    frames.push_back(clamp ? frame.clamp(-1, 1) : frame);
    if (on_chunk) on_chunk(i + 1, T);
  }
  return at::cat(frames, 2);
}

at::Tensor WanVAE::decode(const at::Tensor& z, const std::function<void(std::int64_t, std::int64_t)>& on_chunk) const {
  if (z.dim() != 5 || z.size(1) != config_.z_dim) {
    throw Error("VAE decode: latent must be [B, " + std::to_string(config_.z_dim) + ", T, h, w], got " +
                c10::str(z.sizes()));
  }
  const std::int64_t tile = options_.tile_latent, h = z.size(3), w = z.size(4);
  if (tile <= 0 || (h <= tile && w <= tile)) return decode_untiled(z, on_chunk);

  // Spatial tiling: overlapping latent tiles, each decoded through time, blended with linear ramps.
  const std::int64_t overlap = std::min(options_.tile_overlap_latent, tile / 2);
  const std::int64_t stride = tile - overlap, s = config_.spatial_stride();
  auto starts = [&](std::int64_t size) {
    std::vector<std::int64_t> v;
    for (std::int64_t p = 0;; p += stride) {
      if (p + tile >= size) {
        v.push_back(std::max<std::int64_t>(0, size - tile));
        break;
      }
      v.push_back(p);
    }
    return v;
  };
  const auto ys = starts(h), xs = starts(w);
  at::Tensor out, weight;
  std::int64_t done = 0;
  const std::int64_t total = static_cast<std::int64_t>(ys.size() * xs.size()) * z.size(2);
  for (auto y0 : ys) {
    for (auto x0 : xs) {
      const std::int64_t th = std::min(tile, h - y0), tw = std::min(tile, w - x0);
      const at::Tensor piece = decode_untiled(z.narrow(3, y0, th).narrow(4, x0, tw), [&](std::int64_t, std::int64_t) {
        if (on_chunk) on_chunk(++done, total);
      });
      if (!out.defined()) {
        out = at::zeros({piece.size(0), 3, piece.size(2), h * s, w * s}, piece.options());
        weight = at::zeros({1, 1, 1, h * s, w * s}, piece.options());
      }
      // Ramp weights over the overlapping margin (pixels), 1 in the interior and on image edges.
      auto ramp = [&](std::int64_t n, bool fade_start, bool fade_end) {
        at::Tensor r = at::ones({n}, piece.options());
        const std::int64_t m = overlap * s;
        const at::Tensor up = (at::arange(m, piece.options()) + 1) / static_cast<double>(m + 1);
        if (fade_start && m > 0) r.narrow(0, 0, m).copy_(up);
        if (fade_end && m > 0) r.narrow(0, n - m, m).copy_(up.flip(0));
        return r;
      };
      const at::Tensor wy = ramp(th * s, y0 > 0, y0 + th < h).view({1, 1, 1, -1, 1});
      const at::Tensor wx = ramp(tw * s, x0 > 0, x0 + tw < w).view({1, 1, 1, 1, -1});
      const at::Tensor wt = wy * wx;
      out.narrow(3, y0 * s, th * s).narrow(4, x0 * s, tw * s).add_(piece * wt);
      weight.narrow(3, y0 * s, th * s).narrow(4, x0 * s, tw * s).add_(wt);
    }
  }
  return out / weight;
}

at::Tensor WanVAE::decode_unclamped(const at::Tensor& z) const { return decode_untiled(z, {}, /*clamp=*/false); }

std::vector<std::pair<std::string, at::Tensor>> WanVAE::named_weights() const { return impl_->weights; }

at::Tensor WanVAE::normalize(const at::Tensor& mu) const {
  return (mu.to(impl_->mean.device(), at::kFloat) - impl_->mean) * impl_->inv_std;
}
at::Tensor WanVAE::denormalize(const at::Tensor& z) const {
  return z.to(impl_->mean.device(), at::kFloat) / impl_->inv_std + impl_->mean;
}

}  // namespace linvideo::model
