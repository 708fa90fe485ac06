#include "core/bench/vae_benchmark.h"

#include <ATen/ATen.h>

#include <chrono>
#include <filesystem>

#include "core/error.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/runtime_policy.h"

namespace linvideo::bench {

model::VaeConfig bench_vae_config(const std::string& model) {
  if (model == "2.1") return model::VaeConfig{};
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(model, ec)) {
    const fs::path config = fs::path(model) / "vae" / "config.json";
    if (!fs::exists(config, ec)) throw Error("--model " + model + ": no vae/config.json in this folder");
    return model::load_vae_config(config.string());
  }
  if (model.size() > 5 && model.substr(model.size() - 5) == ".json") return model::load_vae_config(model);
  throw Error("--model must be 2.1, a VAE config.json or a model folder (got '" + model + "')");
}

VaeBenchResult run_vae_benchmark(const VaeBenchOptions& o, const std::function<void(const std::string&)>& log) {
  auto say = [&](const std::string& s) {
    if (log) log(s);
  };
  if (o.device != "cpu" && o.device != "cuda") throw Error("--device must be cpu or cuda (got '" + o.device + "')");
  if (o.device == "cuda" && !at::hasCUDA()) throw Error("--device cuda: this LibTorch build sees no CUDA device");
  if (o.repeats < 1) throw Error("--repeats must be at least 1");
  if (o.warmup < 0) throw Error("--warmup must not be negative");
  if (o.tile_latent < 0) throw Error("--tile must not be negative");
  o.config.validate("--model");
  const std::int64_t ts = o.config.temporal_stride(), ss = o.config.spatial_stride();
  if (o.frames < 1 || (o.frames - 1) % ts != 0)
    throw Error("--frames must be 1 + " + std::to_string(ts) + "k (got " + std::to_string(o.frames) + ")");
  if (o.height < ss || o.width < ss || o.height % ss || o.width % ss || o.height > 4096 || o.width > 4096)
    throw Error("--height and --width must be multiples of " + std::to_string(ss) + " up to 4096");

  const at::Device device = o.device == "cuda" ? at::Device(at::kCUDA) : at::Device(at::kCPU);
  at::manual_seed(static_cast<std::int64_t>(o.seed));
  const at::Tensor z = at::randn({1, o.config.z_dim, (o.frames - 1) / ts + 1, o.height / ss, o.width / ss});
  VaeBenchResult r;
  r.latent = z.sizes().vec();

  struct Variant {
    const char* name;
    at::ScalarType dtype;
    bool frame_convs, channels_last;
  };
  std::vector<Variant> variants = {{"fp32-conv3d", at::kFloat, false, false}};
  if (device.is_cpu()) {
    variants.push_back({"fp32-frame-convs", at::kFloat, true, false});
  } else {
    variants.push_back({"bf16", at::kBFloat16, true, false});
    variants.push_back({"bf16-channels-last", at::kBFloat16, true, true});
  }
  at::Tensor reference;
  for (const auto& v : variants) {
    model::VaeOptions vo;
    vo.device = device;
    vo.dtype = v.dtype;
    vo.frame_convs = v.frame_convs;
    vo.channels_last = v.channels_last;
    vo.tile_latent = o.tile_latent;
    say(std::string("building random-weight VAE (") + v.name + ")");
    auto vae = model::WanVAE::random(o.config, vo, o.seed);
    pipeline::reset_peak_device_memory(device);
    std::vector<double> ms;
    at::Tensor out;
    for (int i = 0; i < o.warmup + o.repeats; ++i) {
      out = at::Tensor();  // the previous clip is freed first: the peak is one decode's
      const auto start = std::chrono::steady_clock::now();
      out = vae->decode(z);
      out.sum().item<float>();  // waits for the device
      const double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (i >= o.warmup) ms.push_back(elapsed);
      say(std::string(v.name) + (i < o.warmup ? " warm-up " : " run ") + std::to_string(i + 1) + ": " +
          std::to_string(elapsed) + " ms");
    }
    VaeBenchRow row;
    row.name = v.name;
    row.decode = timing_stats(ms);
    row.peak_bytes = pipeline::peak_device_memory_bytes(device);
    if (!reference.defined()) {
      reference = out.cpu();
    } else {
      row.rel_diff = ((out.cpu() - reference).norm() / reference.norm().clamp_min(1e-30)).item<double>();
    }
    r.rows.push_back(row);
    vae.reset();
  }
  return r;
}

}  // namespace linvideo::bench
