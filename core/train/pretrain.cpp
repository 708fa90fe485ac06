#include "core/train/pretrain.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "core/atomic_write.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/io/safetensors.h"
#include "core/io/vae_dialect.h"
#include "core/model/wan_dit.h"
#include "core/sampling/flow_schedule.h"
#include "core/shapes/world.h"
#include "core/text/t5_tokenizer.h"
#include "core/text/umt5_encoder.h"
#include "core/train/shapes_batch.h"
#include "core/train/training_state.h"

namespace fs = std::filesystem;

namespace linvideo::train {
namespace {

using Clock = std::chrono::steady_clock;
using NamedWeights = std::vector<std::pair<std::string, at::Tensor>>;

void say(const TrainLog& log, const std::string& s) {
  if (log.line) log.line(s);
}

at::Device device_of(const std::string& d) {
  if (d == "cuda") {
    if (!at::hasCUDA()) throw Error("--device cuda: no CUDA device in this build");
    return at::Device(at::kCUDA, 0);
  }
  if (d != "cpu") throw Error("--device must be cpu or cuda (got '" + d + "')");
  return at::Device(at::kCPU);
}

void write_json(const fs::path& path, const nlohmann::json& j) { write_text_atomically(path.string(), j.dump(2) + "\n"); }

nlohmann::json read_json(const fs::path& path) {
  auto j = nlohmann::json::parse(read_text_file(path.string()), nullptr, false);
  if (j.is_discarded()) throw Error(path.string() + ": not valid JSON");
  return j;
}

nlohmann::json vae_config_json(const model::VaeConfig& c) {
  return {{"base_dim", c.base_dim}, {"z_dim", c.z_dim}, {"dim_mult", c.dim_mult},
          {"num_res_blocks", c.num_res_blocks}, {"temperal_downsample", c.temporal_downsample},
          {"latents_mean", c.latents_mean}, {"latents_std", c.latents_std}, {"_class_name", "AutoencoderKLWan"}};
}

std::vector<at::Tensor> trainable(const NamedWeights& w) {
  std::vector<at::Tensor> params;
  for (const auto& [name, t] : w) {
    t.requires_grad_(true);
    params.push_back(t);
  }
  return params;
}

std::string fmt(double v, int digits = 4) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// A progress line: step, loss, speed and time left.
struct Meter {
  Clock::time_point start = Clock::now();
  std::int64_t first_step;
  double ema = 0;
  bool has = false;
  explicit Meter(std::int64_t first) : first_step(first) {}
  void add(double loss) {
    ema = has ? 0.95 * ema + 0.05 * loss : loss;
    has = true;
  }
  bool out_of_time(double max_minutes) const {
    return max_minutes > 0 && std::chrono::duration<double>(Clock::now() - start).count() > 60.0 * max_minutes;
  }
  std::string line(std::int64_t step, std::int64_t total) const {
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    const double per = s / std::max<std::int64_t>(1, step - first_step);
    return "step " + std::to_string(step) + "/" + std::to_string(total) + "  loss " + fmt(ema) + "  " +
           fmt(per, 3) + " s/step  ETA " + std::to_string(static_cast<long long>(per * (total - step))) + " s";
  }
};

// Prompt embeddings as the DiT sees them: umT5 output with rows past each true length zeroed.
struct PromptEmbedder {
  std::unique_ptr<text::UMT5Encoder> encoder;
  std::unique_ptr<text::T5Tokenizer> tokenizer;
  std::int64_t text_len;
  at::Tensor operator()(const std::vector<std::string>& prompts) const {
    at::NoGradGuard no_grad;
    const auto t = tokenizer->encode_batch(prompts, text_len);
    const auto device = encoder->options().device;
    const at::Tensor hidden = encoder->forward(t.ids.to(device), t.mask.to(device));
    return hidden * t.mask.to(device).unsqueeze(-1).to(hidden.scalar_type());
  }
};

PromptEmbedder load_embedder(const std::string& text_dir, const std::string& tokenizer_path, std::int64_t text_len,
                             const at::Device& device) {
  PromptEmbedder e;
  e.tokenizer = std::make_unique<text::T5Tokenizer>(tokenizer_path);
  text::TextLoadOptions opts;
  opts.device = device;
  e.encoder = text::UMT5Encoder::load(io::Checkpoint::open(text_dir), opts);
  e.text_len = text_len;
  return e;
}

// Copies weights of an exported (diffusers-named) folder into a model being trained.
void init_from_export(const NamedWeights& weights, const std::string& folder,
                      const std::function<std::string(const std::string&)>& stored_name) {
  const io::Checkpoint ckpt = io::Checkpoint::open(folder);
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : weights) {
    const std::string stored = stored_name(name);
    if (!ckpt.contains(stored)) throw Error(folder + ": no tensor '" + stored + "' to initialise from");
    const at::Tensor src = ckpt.tensor(stored);
    if (src.sizes() != t.sizes()) throw Error(folder + ": tensor '" + stored + "' has another shape");
    t.copy_(src);
  }
}

std::unique_ptr<model::WanVAE> load_trained_vae(const std::string& vae_run, const at::Device& device) {
  const auto cfg = model::parse_vae_config(read_json(fs::path(vae_run) / "vae_config.json").dump(), vae_run);
  model::VaeOptions opts;
  opts.device = device;
  auto vae = model::WanVAE::random(cfg, opts, 0);
  const Progress p = read_progress(vae_run);
  if (p.checkpoint.empty()) throw Error(vae_run + ": no VAE checkpoint yet");
  const io::SafetensorsFile file((fs::path(vae_run) / p.checkpoint / "weights.safetensors").string());
  at::NoGradGuard no_grad;
  for (const auto& [name, t] : vae->named_weights()) t.copy_(file.tensor(name));
  return vae;
}

}  // namespace

model::VaeConfig shapes_vae_config() {
  model::VaeConfig c;
  c.base_dim = 16;
  c.num_res_blocks = 1;
  return c;
}

model::DitConfig shapes_dit_config() {
  model::DitConfig c;
  c.dim = 224, c.num_heads = 4, c.ffn_dim = 768, c.num_layers = 8;
  c.in_dim = c.out_dim = 16, c.text_dim = 64, c.text_len = 32;
  return c;
}

void pretrain_tokenizer(const std::string& out_dir, const TrainLog& log) {
  fs::create_directories(out_dir);
  const fs::path corpus = fs::path(out_dir) / "corpus.txt";
  std::vector<std::string> prompts;
  for (const auto& s : shapes::all_one_object_scenes()) prompts.push_back(shapes::to_prompt(s));
  for (std::uint64_t i = 0; i < 2000; ++i) prompts.push_back(shapes::to_prompt(shapes::sample_scene(i, 1.0)));
  {
    std::ofstream out(corpus);
    for (const auto& p : prompts) out << p << "\n";
  }
  // BPE with room for every word of the grammar as one piece (about 25 words over 22 letters), so
  // the longest two-object prompt is 17 pieces. The first tokenizer (unigram, 64) split words into
  // letters: two-object prompts took 63 pieces and were cut at text_len before the second object.
  const std::string cmd = "spm_train --input=" + corpus.string() + " --model_prefix=" +
                          (fs::path(out_dir) / "spiece").string() +
                          " --vocab_size=128 --hard_vocab_limit=false --model_type=bpe --character_coverage=1.0"
                          " --pad_id=0 --eos_id=1 --unk_id=2 --bos_id=-1 --minloglevel=2 > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw Error("spm_train failed (install Debian's sentencepiece package)");
  fs::remove(corpus);
  fs::remove(fs::path(out_dir) / "spiece.vocab");
  const fs::path model_path = fs::path(out_dir) / "spiece.model";
  const text::T5Tokenizer tok(model_path.string());
  const std::int64_t limit = shapes_dit_config().text_len;
  std::size_t longest = 0;
  for (const auto& p : prompts) {
    const std::size_t n = tok.encode_raw(p).size() + 1;  // + EOS
    if (static_cast<std::int64_t>(n) > limit) {
      throw Error(model_path.string() + ": the prompt \"" + p + "\" needs " + std::to_string(n) +
                  " tokens, more than the DiT's text_len " + std::to_string(limit));
    }
    longest = std::max(longest, n);
  }
  say(log, "tokenizer: " + model_path.string() + " (" + std::to_string(tok.vocab_size()) + " pieces; longest prompt " +
               std::to_string(longest) + " of " + std::to_string(limit) + " tokens)");
}

void pretrain_text_encoder(const std::string& out_dir, const std::string& tokenizer_path, std::uint64_t seed,
                           const TrainLog& log) {
  const text::T5Tokenizer tok(tokenizer_path);
  const std::int64_t d = 64, heads = 4, d_kv = 16, d_ff = 128, layers = 2, buckets = 32;
  const std::int64_t vocab = tok.vocab_size();
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  auto randn = [&](at::IntArrayRef shape, double scale) {
    return at::randn(shape, gen, at::TensorOptions().dtype(at::kFloat)) * scale;
  };
  NamedWeights w;
  w.emplace_back("token_embedding.weight", randn({vocab, d}, 1.0));
  for (std::int64_t i = 0; i < layers; ++i) {
    const std::string b = "blocks." + std::to_string(i) + ".";
    const double s = 1.0 / std::sqrt(static_cast<double>(d));
    w.emplace_back(b + "norm1.weight", at::ones({d}));
    w.emplace_back(b + "attn.q.weight", randn({heads * d_kv, d}, s));
    w.emplace_back(b + "attn.k.weight", randn({heads * d_kv, d}, s));
    w.emplace_back(b + "attn.v.weight", randn({heads * d_kv, d}, s));
    w.emplace_back(b + "attn.o.weight", randn({d, heads * d_kv}, 1.0 / std::sqrt(double(heads * d_kv))));
    w.emplace_back(b + "pos_embedding.embedding.weight", randn({buckets, heads}, 0.5));
    w.emplace_back(b + "norm2.weight", at::ones({d}));
    w.emplace_back(b + "ffn.gate.0.weight", randn({d_ff, d}, s));
    w.emplace_back(b + "ffn.fc1.weight", randn({d_ff, d}, s));
    w.emplace_back(b + "ffn.fc2.weight", randn({d, d_ff}, 1.0 / std::sqrt(double(d_ff))));
  }
  w.emplace_back("norm.weight", at::ones({d}));
  fs::create_directories(out_dir);
  io::write_safetensors((fs::path(out_dir) / "model.safetensors").string(), w, {{"format", "pt"}});
  write_json(fs::path(out_dir) / "config.json",
             {{"model_type", "umt5"}, {"d_model", d}, {"d_kv", d_kv}, {"d_ff", d_ff}, {"num_layers", layers},
              {"num_heads", heads}, {"vocab_size", vocab}, {"relative_attention_num_buckets", buckets},
              {"relative_attention_max_distance", 128}, {"layer_norm_epsilon", 1e-6},
              {"feed_forward_proj", "gated-gelu"}, {"note", "random and frozen, as Wan keeps its T5 frozen"}});
  say(log, "text encoder: random umT5 d_model 64, 2 layers, vocab " + std::to_string(vocab) + " -> " + out_dir);
}

void pretrain_vae(const RunOptions& run, const TrainLog& log) {
  const at::Device device = device_of(run.device);
  model::VaeConfig config = shapes_vae_config();
  if (run.clip_frames != 0 && (run.clip_frames < 5 || (run.clip_frames - 1) % config.temporal_stride() != 0)) {
    throw Error("pretrain vae: --clip-frames must be 0 (whole clips) or 1 + 4k >= 5, got " +
                std::to_string(run.clip_frames));
  }
  if (run.foreground_weight < 0) throw Error("pretrain vae: --foreground-weight must be >= 0");
  model::VaeOptions opts;
  opts.device = device;
  auto vae = model::WanVAE::random(config, opts, run.seed);
  const NamedWeights weights = vae->named_weights();
  torch::optim::AdamW opt(trainable(weights), torch::optim::AdamWOptions(run.lr).weight_decay(0.0));
  Progress progress = read_progress(run.dir);
  if (progress.step > 0) {
    if (const std::string note = load_checkpoint(run.dir, progress, weights, opt); !note.empty()) say(log, note);
    say(log, "resumed VAE run at step " + std::to_string(progress.step));
  } else if (!run.init.empty()) {
    init_from_export(weights, (fs::path(run.init) / "vae").string(),
                     [&](const std::string& n) { return io::VaeKeyMap{io::VaeDialect::Diffusers, config.num_res_blocks, ""}.to_stored(n); });
    say(log, "VAE initialised from " + run.init);
  }
  ShapesBatchOptions data;
  data.include_held_out = true;  // the autoencoder learns pixels, not prompts
  Meter meter(progress.step);
  for (std::int64_t step = progress.step; step < run.steps; ++step) {
    ShapesBatch b = make_shapes_batch(run.batch, run.seed, static_cast<std::uint64_t>(step), data, device);
    if (run.clip_frames > 0 && run.clip_frames < data.frames) {
      // A window starting on a latent boundary (4k), the same for a resumed step.
      const std::int64_t starts = (data.frames - run.clip_frames) / config.temporal_stride() + 1;
      const std::int64_t start = static_cast<std::int64_t>((run.seed * 7919u + static_cast<std::uint64_t>(step)) %
                                                           static_cast<std::uint64_t>(starts)) * config.temporal_stride();
      b.video = b.video.narrow(2, start, run.clip_frames);
      b.foreground = b.foreground.narrow(2, start, run.clip_frames);
    }
    const at::Tensor mu = vae->encode(b.video);
    const at::Tensor rec = vae->decode_unclamped(mu);
    const at::Tensor w = 1 + run.foreground_weight * b.foreground;
    const at::Tensor d = rec - b.video;
    at::Tensor loss = ((d.abs() + d.pow(2)) * w).mean() / w.mean() + 1e-4 * mu.pow(2).mean();
    if (run.edge_weight > 0) {
      // Differences along x, y and time must match too: sharp edges, steady backgrounds, motion
      // without steps at chunk boundaries (plain L1/L2 is content with a blur).
      for (int dim : {4, 3, 2}) {
        const std::int64_t n = d.size(dim) - 1;
        const at::Tensor dd = d.narrow(dim, 1, n) - d.narrow(dim, 0, n);
        const at::Tensor wd = w.narrow(dim, 1, n);
        loss = loss + run.edge_weight * (dd.abs() * wd).mean() / wd.mean();
      }
    }
    opt.zero_grad();
    loss.backward();
    opt.step();
    meter.add(loss.item<double>());
    if ((step + 1) % run.log_every == 0) say(log, "vae " + meter.line(step + 1, run.steps));
    const bool out_of_time = meter.out_of_time(run.max_minutes);
    if ((step + 1) % run.checkpoint_every == 0 || step + 1 == run.steps || out_of_time) {
      save_checkpoint(run.dir, step + 1, weights, opt, {{"loss_ema", fmt(meter.ema)}});
    }
    if (out_of_time) {
      say(log, "vae: time budget reached at step " + std::to_string(step + 1));
      break;
    }
  }
  // A run that did no step (only --init) still leaves a checkpoint for the DiT trainer to read.
  if (read_progress(run.dir).checkpoint.empty()) save_checkpoint(run.dir, progress.step, weights, opt, {{"init", run.init}});
  // Latent statistics over fresh clips, so the DiT sees unit-scale latents.
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> latents;
  for (int i = 0; i < 16; ++i) {
    latents.push_back(vae->encode(make_shapes_batch(8, run.seed + 999, static_cast<std::uint64_t>(i), data, device).video));
  }
  const at::Tensor all = at::cat(latents, 0).transpose(0, 1).reshape({config.z_dim, -1});
  const at::Tensor mean = all.mean(1).to(at::kCPU, at::kDouble), stdv = all.std(1).to(at::kCPU, at::kDouble);
  config.latents_mean.assign(mean.data_ptr<double>(), mean.data_ptr<double>() + config.z_dim);
  config.latents_std.assign(stdv.data_ptr<double>(), stdv.data_ptr<double>() + config.z_dim);
  write_json(fs::path(run.dir) / "vae_config.json", vae_config_json(config));
  say(log, "vae: latent statistics written to " + (fs::path(run.dir) / "vae_config.json").string());
}

void pretrain_dit(const RunOptions& run, const std::string& vae_run, const std::string& text_dir,
                  const std::string& tokenizer_path, const TrainLog& log) {
  const at::Device device = device_of(run.device);
  if (device.is_cuda()) at::globalContext().setAllowTF32CuBLAS(true);
  const auto vae = load_trained_vae(vae_run, device);
  const model::DitConfig config = shapes_dit_config();
  const PromptEmbedder embed = load_embedder(text_dir, tokenizer_path, config.text_len, device);
  model::DitLoadOptions opts;
  opts.device = device;
  auto dit = model::WanDiT::random(config, opts, run.seed);
  const NamedWeights weights = dit->named_weights();
  torch::optim::AdamW opt(trainable(weights), torch::optim::AdamWOptions(run.lr).weight_decay(0.01));
  Progress progress = read_progress(run.dir);
  if (progress.step > 0) {
    if (const std::string note = load_checkpoint(run.dir, progress, weights, opt); !note.empty()) say(log, note);
    say(log, "resumed DiT run at step " + std::to_string(progress.step));
  } else if (!run.init.empty()) {
    init_from_export(weights, (fs::path(run.init) / "transformer").string(),
                     [](const std::string& n) { return io::DitKeyMap{io::DitDialect::Diffusers, ""}.to_stored(n); });
    say(log, "DiT initialised from " + run.init);
  }
  ShapesBatchOptions data;  // held-out prompts never appear
  // Optional latent pool: clips encoded once, batches drawn from it (the VAE encoder costs about
  // as much as a DiT training step, so this roughly halves the step time).
  at::Tensor pool;
  std::vector<std::string> pool_prompts;
  if (run.latent_pool > 0) {
    at::NoGradGuard no_grad;
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<at::Tensor> parts;
    for (int done = 0, i = 0; done < run.latent_pool; ++i) {
      const int n = std::min(64, run.latent_pool - done);
      const ShapesBatch b = make_shapes_batch(n, run.seed + 4242, static_cast<std::uint64_t>(i), data, device);
      parts.push_back(vae->normalize(vae->encode(b.video)));
      pool_prompts.insert(pool_prompts.end(), b.prompts.begin(), b.prompts.end());
      done += n;
    }
    pool = at::cat(parts, 0);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    say(log, "latent pool: " + std::to_string(run.latent_pool) + " clips encoded in " + fmt(s) + " s");
  }
  Meter meter(progress.step);
  const double shift = 3.0;
  for (std::int64_t step = progress.step; step < run.steps; ++step) {
    // Every random draw of a step derives from (seed, step), so a resumed run repeats it exactly.
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(run.seed * 1000003ull + static_cast<std::uint64_t>(step));
    ShapesBatch b;
    at::Tensor pick;
    if (pool.defined()) {
      pick = at::randint(pool.size(0), {run.batch}, gen, at::TensorOptions().dtype(at::kLong));
      for (int i = 0; i < run.batch; ++i) b.prompts.push_back(pool_prompts[static_cast<std::size_t>(pick[i].item<std::int64_t>())]);
    } else {
      b = make_shapes_batch(run.batch, run.seed, static_cast<std::uint64_t>(step), data, device);
    }
    const at::Tensor drop = at::rand({run.batch}, gen);
    for (int i = 0; i < run.batch; ++i) {
      if (drop[i].item<double>() < 0.1) b.prompts[static_cast<std::size_t>(i)] = "";  // for CFG
    }
    at::Tensor x0, context;
    {
      at::NoGradGuard no_grad;
      x0 = pool.defined() ? pool.index_select(0, pick.to(device)) : vae->normalize(vae->encode(b.video));
      context = embed(b.prompts);
    }
    const at::Tensor u = at::rand({run.batch}, gen);
    at::Tensor sigma = (shift * u / (1 + (shift - 1) * u)).to(device);
    const at::Tensor noise = at::randn(x0.sizes(), gen).to(device);
    const at::Tensor s5 = sigma.view({-1, 1, 1, 1, 1});
    const at::Tensor xt = (1 - s5) * x0 + s5 * noise;
    const at::Tensor v = dit->forward(xt, sigma * 1000.0, context);
    const at::Tensor loss = (v - (noise - x0)).pow(2).mean();
    const double warm = std::min(1.0, static_cast<double>(step + 1) / 200.0);
    for (auto& group : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(run.lr * warm);
    opt.zero_grad();
    loss.backward();
    opt.step();
    meter.add(loss.item<double>());
    if ((step + 1) % run.log_every == 0) say(log, "dit " + meter.line(step + 1, run.steps));
    const bool out_of_time = meter.out_of_time(run.max_minutes);
    if ((step + 1) % run.checkpoint_every == 0 || step + 1 == run.steps || out_of_time) {
      save_checkpoint(run.dir, step + 1, weights, opt, {{"loss_ema", fmt(meter.ema)}});
    }
    if (out_of_time) {
      say(log, "dit: time budget reached at step " + std::to_string(step + 1));
      break;
    }
  }
}

void export_shapes_model(const std::string& out_dir, const std::string& vae_run, const std::string& dit_run,
                         const std::string& text_dir, const std::string& tokenizer_path, const TrainLog& log) {
  const fs::path root(out_dir);
  fs::create_directories(root / "transformer");
  fs::create_directories(root / "vae");
  fs::create_directories(root / "text_encoder");
  fs::create_directories(root / "tokenizer");
  // DiT: the latest checkpoint, diffusers names, bf16.
  const Progress dp = read_progress(dit_run);
  if (dp.checkpoint.empty()) throw Error(dit_run + ": no DiT checkpoint yet");
  const io::SafetensorsFile dit_file((fs::path(dit_run) / dp.checkpoint / "weights.safetensors").string());
  const io::DitKeyMap dit_keys{io::DitDialect::Diffusers, ""};
  NamedWeights dit_w;
  for (const auto& e : dit_file.header().tensors) {
    dit_w.emplace_back(dit_keys.to_stored(e.name), dit_file.tensor(e.name).to(at::kBFloat16));
  }
  io::write_safetensors((root / "transformer" / "diffusion_pytorch_model.safetensors").string(), dit_w,
                        {{"format", "pt"}, {"trained_steps", std::to_string(dp.step)}});
  const auto c = shapes_dit_config();
  write_json(root / "transformer" / "config.json",
             {{"_class_name", "WanTransformer3DModel"}, {"num_attention_heads", c.num_heads},
              {"attention_head_dim", c.head_dim()}, {"in_channels", c.in_dim}, {"out_channels", c.out_dim},
              {"text_dim", c.text_dim}, {"freq_dim", c.freq_dim}, {"ffn_dim", c.ffn_dim}, {"num_layers", c.num_layers},
              {"patch_size", c.patch}, {"cross_attn_norm", true}, {"qk_norm", "rms_norm_across_heads"},
              {"eps", c.eps}, {"text_len", c.text_len}});
  // VAE.
  const auto vcfg_json = read_json(fs::path(vae_run) / "vae_config.json");
  const auto vcfg = model::parse_vae_config(vcfg_json.dump(), vae_run);
  const Progress vp = read_progress(vae_run);
  const io::SafetensorsFile vae_file((fs::path(vae_run) / vp.checkpoint / "weights.safetensors").string());
  const io::VaeKeyMap vae_keys{io::VaeDialect::Diffusers, vcfg.num_res_blocks, ""};
  NamedWeights vae_w;
  for (const auto& e : vae_file.header().tensors) {
    vae_w.emplace_back(vae_keys.to_stored(e.name), vae_file.tensor(e.name).to(at::kBFloat16));
  }
  io::write_safetensors((root / "vae" / "diffusion_pytorch_model.safetensors").string(), vae_w,
                        {{"format", "pt"}, {"trained_steps", std::to_string(vp.step)}});
  write_json(root / "vae" / "config.json", vcfg_json);
  // Text encoder and tokenizer as they are.
  for (const char* f : {"model.safetensors", "config.json"}) {
    fs::copy_file(fs::path(text_dir) / f, root / "text_encoder" / f, fs::copy_options::overwrite_existing);
  }
  fs::copy_file(tokenizer_path, root / "tokenizer" / "spiece.model", fs::copy_options::overwrite_existing);
  write_json(root / "model_index.json",
             {{"_class_name", "WanPipeline"}, {"linvideo_model", "shapes"},
              {"defaults", {{"steps", 25}, {"guidance", 4.0}, {"shift", 3.0}, {"frames", 17}, {"height", 128}, {"width", 128},
                            {"negative_prompt", ""}}}});
  say(log, "exported to " + out_dir);
}

}  // namespace linvideo::train
