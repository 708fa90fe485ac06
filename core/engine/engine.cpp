#include "core/engine/engine.h"

#include <ATen/ATen.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/method/apply.h"
#include "core/method/sidecar.h"
#include "core/method/student.h"
#include "core/model/attention_scope.h"
#include "core/model/dit_footprint.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/clip_tags.h"

namespace linvideo::engine {

struct Engine::State {
  std::string folder, sidecar;
  pipeline::ModelSources sources;
  pipeline::RuntimePolicy policy;
  pipeline::GenerationSettings defaults;
  std::unique_ptr<pipeline::TextToVideo> t2v;
  method::SidecarScores scores;  // what the installed sidecar tells about its layers
  std::string student;  // a student installed by set_layers (absolute path), or ""
  method::FewStepSchedule student_schedule;  // its schedule, for every later clip
};

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

void log(const pipeline::Callbacks& cb, const std::string& line) {
  if (cb.on_log) cb.on_log(line);
}

pipeline::RuntimePolicy policy_of(const LoadRequest& r) {
  pipeline::RuntimePolicy policy = pipeline::RuntimePolicy::make(r.device, r.dtype, r.text_device, r.memory_plan);
  if (r.vae_tile >= 0) policy.vae_tile_latent = r.vae_tile;
  return policy;
}

// The folder's parts with the request's explicit ones over them; the embedded model when the
// request names nothing.
pipeline::ModelSources sources_of(LoadRequest& r) {
  if (r.folder.empty() && r.dit.empty() && r.random_model.empty()) r.folder = pipeline::default_model_dir();
  pipeline::ModelSources s;
  if (!r.folder.empty()) s = pipeline::resolve_model_folder(r.folder);
  if (!r.dit.empty()) s.dit = r.dit;
  if (!r.vae.empty()) s.vae = r.vae;
  if (!r.text_encoder.empty()) s.text_encoder = r.text_encoder;
  if (!r.tokenizer.empty()) s.tokenizer = r.tokenizer;
  if (!r.random_model.empty()) {
    if (r.random_model != "1.3B" && r.random_model != "14B") throw Error("--random-model must be 1.3B or 14B");
    r.random_text = true;
  } else if (s.dit.empty() || s.vae.empty()) {
    throw Error("give a model folder, or a DiT and a VAE (or a random model for a timing run)");
  }
  return s;
}

// The DiT's configuration without loading its weights (the memory plan encodes text first).
model::DitConfig dit_config_of(const LoadRequest& r, const pipeline::ModelSources& s, const pipeline::Callbacks& cb) {
  model::DitConfig c;  // defaults: Wan 1.3B
  if (r.random_model == "14B") c.dim = 5120, c.ffn_dim = 13824, c.num_heads = 40, c.num_layers = 40;
  if (!r.random_model.empty()) return c;
  const io::Checkpoint ckpt = io::Checkpoint::open(s.dit);
  const auto detected = model::detect_dit_config(ckpt, io::detect_dit_dialect(ckpt.keys(), ckpt.source()));
  c = r.dit_config.empty() ? detected.config : model::load_dit_config(r.dit_config);
  if (r.dit_config.empty() && !detected.heads_from_config && c.dim % 128 != 0)
    log(cb, "warning: no config.json beside the DiT; head count guessed (" + std::to_string(c.num_heads) +
                "); give its config.json");
  return c;
}

std::shared_ptr<pipeline::PromptEncoder> text_encoder_of(const LoadRequest& r, const pipeline::ModelSources& s,
                                                         const pipeline::RuntimePolicy& policy,
                                                         const model::DitConfig& c, const pipeline::Callbacks& cb) {
  std::shared_ptr<pipeline::PromptEncoder> text;
  if (r.random_text) {
    text = std::make_shared<pipeline::HashedPromptEncoder>(c.text_dim, std::min<std::int64_t>(32, c.text_len));
  } else {
    text = pipeline::load_prompt_encoder(s, policy, c.text_len);
  }
  log(cb, "text: " + text->name());
  if (text->width() != c.text_dim)
    throw Error(s.text_encoder + ": text encoder width " + std::to_string(text->width()) +
                " does not match the DiT's text_dim " + std::to_string(c.text_dim) + " (" + s.dit + ")");
  return text;
}

std::pair<std::shared_ptr<model::WanDiT>, std::shared_ptr<model::WanVAE>> weights_of(
    const LoadRequest& r, const pipeline::ModelSources& s, const pipeline::RuntimePolicy& policy,
    const model::DitConfig& c, const pipeline::Callbacks& cb) {
  if (r.random_model.empty()) return {pipeline::load_dit(s.dit, policy, r.dit_config), pipeline::load_vae(s.vae, policy)};
  model::DitLoadOptions d;
  d.device = policy.device;
  d.dtype = policy.dit_dtype;
  log(cb, "weights: RANDOM (timing run; the clip is noise)");
  return {model::WanDiT::random(c, d, r.seed),
          model::WanVAE::random(model::VaeConfig{}, pipeline::vae_options(policy), r.seed + 1)};
}

// The folder's shipped sidecar on a freshly loaded DiT; one that does not fit is a note, not an
// error (the model stays all-softmax).
std::string install_shipped_sidecar(const std::string& folder, model::WanDiT& dit, const pipeline::Callbacks& cb) {
  if (folder.empty()) return {};
  try {
    const std::string shipped = method::load_shipped_sidecar(folder, dit);
    if (!shipped.empty()) log(cb, "linvideo: " + shipped + " (the folder's sidecar; the teacher runs every layer softmax)");
    return shipped;
  } catch (const Error& e) {
    log(cb, std::string("warning: the folder's sidecar was not applied: ") + e.what());
    return {};
  }
}

// What a sidecar tells about its layers; one whose scores are malformed is a note (its states
// were installed all the same).
method::SidecarScores scores_of(const std::string& sidecar, const pipeline::Callbacks& cb) {
  if (sidecar.empty()) return {};
  try {
    return method::read_sidecar_scores(sidecar);
  } catch (const Error& e) {
    log(cb, std::string("warning: the sidecar's layer scores were not read: ") + e.what());
    return {};
  }
}

// Sets the clip's layers (see LayerChoice). With `scope`, a student is installed for the clip
// only; without, for good (one-shot runs, where nothing outlives the clip).
void apply_choice(pipeline::TextToVideo& t2v, const LayerChoice& choice, const std::string& shipped, Clip& clip,
                  const std::vector<std::pair<at::Tensor, at::Tensor>>& calibration,
                  std::optional<method::StudentScope>* scope) {
  model::WanDiT& dit = t2v.dit();
  LayerChoice::Kind kind = choice.kind;
  if (kind == LayerChoice::Kind::Sidecar && !choice.path.empty() && method::is_student_file(choice.path)) {
    if (!choice.linear.empty()) throw Error(choice.path + ": a distilled student sets every layer; it takes no layer list");
    kind = LayerChoice::Kind::Student;
  }
  switch (kind) {
    case LayerChoice::Kind::Current: break;
    case LayerChoice::Kind::Teacher:
      for (std::int64_t i = 0; i < dit.num_layers(); ++i) dit.attention_state(i).mode = model::AttentionMode::Softmax;
      clip.notes.push_back("linvideo: teacher: every layer softmax");
      break;
    case LayerChoice::Kind::Sidecar: {
      const std::string path = choice.path.empty() ? shipped : choice.path;
      if (path.empty()) throw Error("this model has no LinVideo sidecar to convert with");
      clip.notes.push_back("linvideo: " + method::apply_linvideo(t2v, path, choice.linear, clip.settings, calibration));
      break;
    }
    case LayerChoice::Kind::Linear:
      if (choice.linear.empty()) throw Error("no layers given to make linear");
      clip.notes.push_back("linvideo: " + method::apply_linvideo(t2v, "", choice.linear, clip.settings, calibration));
      break;
    case LayerChoice::Kind::Student: {
      if (choice.path.empty()) throw Error("no student file given");
      method::FewStepSchedule schedule;
      if (scope) {
        scope->emplace(dit, choice.path);
        schedule = (*scope)->schedule();
      } else {
        schedule = method::load_student(choice.path, dit);
      }
      method::use_few_step_schedule(schedule, clip.settings);
      clip.student = std::filesystem::absolute(choice.path).string();
      std::string ts;
      for (double t : schedule.timesteps()) ts += (ts.empty() ? "" : ", ") + std::to_string(std::lround(t));
      clip.notes.push_back("student: " + choice.path + ", " + std::to_string(clip.settings.steps) + " steps at t = {" + ts +
                           "}, Euler, no CFG");
      break;
    }
  }
  clip.modes = pipeline::attention_mode_names(dit);
  clip.model_name = dit.config().family();
}

// Sampling and decode, shared by both paths. `release_dit`: drop the DiT before decoding (the
// memory plan of a one-shot run).
void sample_and_decode(pipeline::TextToVideo& t2v, const at::Tensor& context, const at::Tensor& negative,
                       const at::Tensor& noise, Clip& clip, const pipeline::Callbacks& cb, bool release_dit) {
  clip.result.sampling = t2v.sample(context, negative, noise, clip.settings, cb);
  if (clip.cancelled()) return;
  if (release_dit) {
    t2v.release_dit();
    pipeline::release_cached_device_memory();
  }
  const auto t0 = Clock::now();
  clip.result.video = t2v.decode(clip.result.sampling.latents, cb);
  clip.result.decode_seconds = seconds_since(t0);
}

}  // namespace

Engine::Engine() = default;
Engine::~Engine() = default;

std::vector<std::string> Engine::load(const LoadRequest& request, const pipeline::Callbacks& cb) {
  std::vector<std::string> notes;
  pipeline::Callbacks collect = cb;
  collect.on_log = [&](const std::string& line) {
    notes.push_back(line);
    if (cb.on_log) cb.on_log(line);
  };
  LoadRequest r = request;
  const pipeline::ModelSources sources = sources_of(r);
  const pipeline::RuntimePolicy policy = policy_of(r);
  state_.reset();  // the old model goes first, so two large models never share the memory
  pipeline::release_cached_device_memory();
  auto next = std::make_unique<State>();
  next->folder = r.folder;
  next->sources = sources;
  next->policy = policy;
  next->defaults = r.folder.empty() ? pipeline::GenerationSettings{} : pipeline::model_defaults(r.folder, {});
  const model::DitConfig config = dit_config_of(r, sources, collect);
  auto [dit, vae] = weights_of(r, sources, policy, config, collect);
  auto text = text_encoder_of(r, sources, policy, dit->config(), collect);
  next->t2v = std::make_unique<pipeline::TextToVideo>(std::move(dit), std::move(vae), std::move(text));
  next->sidecar = install_shipped_sidecar(r.folder, next->t2v->dit(), collect);
  next->scores = scores_of(next->sidecar, collect);
  state_ = std::move(next);
  return notes;
}

void Engine::unload() {
  state_.reset();
  pipeline::release_cached_device_memory();
}

bool Engine::loaded() const { return state_ && state_->t2v; }

Engine::State& Engine::state() const {
  if (!loaded()) throw Error("no model is loaded (open a model folder first)");
  return *state_;
}

pipeline::TextToVideo& Engine::text_to_video() { return *state().t2v; }
const pipeline::GenerationSettings& Engine::defaults() const { return state().defaults; }
const pipeline::RuntimePolicy& Engine::policy() const { return state().policy; }
const pipeline::ModelSources& Engine::sources() const { return state().sources; }
const std::string& Engine::folder() const { return state().folder; }
const std::string& Engine::sidecar() const { return state().sidecar; }
const std::string& Engine::student() const { return state().student; }

LayerTable Engine::layers() {
  LayerTable table = read_layers(text_to_video());
  const method::SidecarScores& s = state().scores;
  for (std::size_t i = 0; i < table.layers.size(); ++i) {
    LayerInfo& l = table.layers[i];
    if (i < s.r_trained.size()) l.trained_r = s.r_trained[i];
    if (i < s.transfer_error.size()) l.transfer_error = s.transfer_error[i];
    if (i < s.sensitivity.size()) l.sensitivity = s.sensitivity[i];
  }
  if (s.r_trajectory.defined() && s.r_trajectory.size(1) == static_cast<std::int64_t>(table.layers.size())) {
    const at::Tensor t = s.r_trajectory.to(at::kDouble).contiguous();
    const double* v = t.data_ptr<double>();
    for (std::int64_t step = 0; step < t.size(0); ++step)
      table.r_trajectory.emplace_back(v + step * t.size(1), v + (step + 1) * t.size(1));
  }
  return table;
}

void Engine::note_installed_sidecar(const std::string& path) { state().scores = scores_of(path, {}); }

method::ScanResult Engine::set_layer_modes(const std::vector<std::pair<int, bool>>& changes,
                                                    const LayerChangeOptions& options) {
  return engine::set_layer_modes(text_to_video(), defaults(), changes, options);
}

method::ScanResult Engine::scan(const method::ScanOptions& options, Maps maps,
                                         const std::function<void(const std::string&)>& log) {
  if (maps == Maps::Fitted) return method::scan_layers(text_to_video(), defaults(), options, log);
  return scan_keeping_maps(text_to_video(), defaults(), options, log);
}

ModelFacts Engine::facts() {
  const model::WanDiT& dit = text_to_video().dit();
  const model::DitConfig& c = dit.config();
  const model::WeightFootprint footprint = model::weight_footprint(dit);
  ModelFacts f;
  f.family = c.family();
  f.dim = c.dim, f.ffn_dim = c.ffn_dim, f.num_layers = c.num_layers, f.num_heads = c.num_heads;
  f.head_dim = c.head_dim(), f.text_dim = c.text_dim, f.text_len = c.text_len;
  f.parameters = footprint.parameters;
  f.weight_bytes = footprint.bytes;
  const at::ScalarType t = state_->policy.dit_dtype;
  f.dit_dtype = t == at::kBFloat16 ? "bf16" : t == at::kHalf ? "fp16" : "fp32";
  return f;
}

std::vector<std::string> Engine::set_layers(const LayerChoice& choice, const pipeline::GenerationSettings& calibration,
                                            const pipeline::Callbacks& cb) {
  pipeline::TextToVideo& t2v = text_to_video();
  Clip scratch;
  scratch.settings = calibration;
  std::vector<std::pair<at::Tensor, at::Tensor>> contexts;
  if (choice.kind == LayerChoice::Kind::Linear || !choice.linear.empty())
    contexts.push_back({t2v.encode_prompt(calibration.prompt, cb.on_log),
                        t2v.encode_prompt(pipeline::TextToVideo::negative_prompt_of(calibration), cb.on_log)});
  {
    // A refused choice leaves the layers (and, for a student, the weights) as they were.
    model::AttentionStateScope scope(t2v.dit());
    std::optional<method::StudentScope> student;
    apply_choice(t2v, choice, state_->sidecar, scratch, contexts, &student);
    if (student) {
      state_->student = scratch.student;
      state_->student_schedule = student->schedule();
      student->keep();
    } else if (choice.kind == LayerChoice::Kind::Sidecar) {
      state_->scores = scores_of(choice.path.empty() ? state_->sidecar : choice.path, cb);
    }
    scope.keep();
  }
  for (const std::string& note : scratch.notes) log(cb, note);
  return scratch.notes;
}

Clip Engine::generate(const ClipRequest& request, const pipeline::Callbacks& cb) {
  pipeline::TextToVideo& t2v = text_to_video();
  Clip clip;
  clip.settings = request.settings;
  if (request.layers.kind == LayerChoice::Kind::Current && !state_->student.empty()) {
    // The model is a student (set_layers): its schedule, as for a student clip.
    method::use_few_step_schedule(state_->student_schedule, clip.settings);
    clip.student = state_->student;
  }
  const auto t0 = Clock::now();
  const at::Tensor noise = t2v.initial_noise(clip.settings);  // checks the size before any heavy work
  const at::Tensor context = t2v.encode_prompt(clip.settings.prompt, cb.on_log);
  const at::Tensor negative = t2v.encode_prompt(pipeline::TextToVideo::negative_prompt_of(clip.settings), cb.on_log);
  clip.result.text_seconds = seconds_since(t0);
  {
    // Every request leaves the model's layers (and weights, for a student) as they were.
    model::AttentionStateScope scope(t2v.dit());
    std::optional<method::StudentScope> student;
    apply_choice(t2v, request.layers, state_->sidecar, clip, {{context, negative}}, &student);
    for (const std::string& note : clip.notes) log(cb, note);
    sample_and_decode(t2v, context, negative, noise, clip, cb, /*release_dit=*/false);
  }
  clip.result.total_seconds = seconds_since(t0);
  return clip;
}

Clip Engine::generate_once(const LoadRequest& load, const ClipRequest& request, const pipeline::Callbacks& cb) {
  LoadRequest r = load;
  const pipeline::ModelSources sources = sources_of(r);
  const pipeline::RuntimePolicy policy = policy_of(r);
  log(cb, "policy: " + policy.describe());
  Clip clip;
  clip.settings = request.settings;
  const auto t0 = Clock::now();
  const model::DitConfig config = dit_config_of(r, sources, cb);
  // Text first: under the memory plan the encoder is gone before the DiT arrives.
  at::Tensor context, negative;
  {
    auto text = text_encoder_of(r, sources, policy, config, cb);
    const std::string& neg = pipeline::TextToVideo::negative_prompt_of(clip.settings);
    for (const std::string* p : {static_cast<const std::string*>(&clip.settings.prompt), &neg}) {
      if (const std::string w = pipeline::truncation_warning(*text, *p); !w.empty()) log(cb, w);
    }
    context = text->encode(clip.settings.prompt);
    negative = text->encode(neg);
  }
  if (policy.memory_plan) pipeline::release_cached_device_memory();
  clip.result.text_seconds = seconds_since(t0);
  auto [dit, vae] = weights_of(r, sources, policy, config, cb);
  log(cb, "model: " + dit->config().summary());
  pipeline::TextToVideo t2v(std::move(dit), std::move(vae), nullptr);
  const at::Tensor noise = t2v.initial_noise(clip.settings);
  // As load() does: the shipped sidecar first (not for the teacher, which sets every layer anyway,
  // nor for a student, which brings its own), then the request's choice.
  const LayerChoice::Kind kind = request.layers.kind;
  const bool student = kind == LayerChoice::Kind::Student ||
                       (kind == LayerChoice::Kind::Sidecar && !request.layers.path.empty() &&
                        method::is_student_file(request.layers.path));
  std::string shipped;
  if (kind != LayerChoice::Kind::Teacher && !student) shipped = install_shipped_sidecar(r.folder, t2v.dit(), cb);
  apply_choice(t2v, request.layers, shipped, clip, {{context, negative}}, nullptr);
  for (const std::string& note : clip.notes) log(cb, note);
  sample_and_decode(t2v, context, negative, noise, clip, cb, policy.memory_plan);
  clip.result.total_seconds = seconds_since(t0);
  return clip;
}

}  // namespace linvideo::engine
