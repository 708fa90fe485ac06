#pragma once
// The engine's front door (issue 19): one object that owns a loaded model and takes plain value
// requests, for the CLI, the studio and the tests alike. No Qt, no media library: a front end
// turns a Clip into a file (pipeline::clip_tags gives the tags) and shows progress from the
// callbacks. Calls are synchronous; the studio runs them on its engine thread.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/pipeline/model_loader.h"
#include "core/pipeline/runtime_policy.h"
#include "core/engine/layers.h"
#include "core/engine/training.h"
#include "core/method/sidecar.h"
#include "core/pipeline/text_to_video.h"

namespace linvideo::engine {

// Where a model comes from and how it runs.
struct LoadRequest {
  std::string folder;  // a model folder (either layout); empty with random_model or explicit parts
  // Explicit parts, each replacing the folder's (the CLI's --dit, --vae, --text-encoder, --tokenizer).
  std::string dit, vae, text_encoder, tokenizer;
  std::string dit_config;    // config.json for a DiT without one beside it
  std::string random_model;  // "1.3B" or "14B": random weights, no files (timing runs)
  bool random_text = false;  // no text encoder: hashed embeddings per prompt
  std::string device = "auto", dtype = "auto", text_device = "auto";
  bool memory_plan = true;
  std::int64_t vae_tile = -1;  // tiled decode in latent pixels; -1: the policy's default
  std::uint64_t seed = 0;      // random weights only
};

// How a clip's attention layers are set, for that clip only: the model's own layers (as loaded,
// with the folder's shipped sidecar, and as set since) come back afterwards, bit for bit.
struct LayerChoice {
  enum class Kind {
    Current,  // the model's layers as they are
    Teacher,  // every layer softmax
    Sidecar,  // a sidecar file (`path`; empty: the folder's shipped one), then `linear` if given;
              // a student file here is taken as Student (the CLI's --linvideo takes both)
    Linear,   // exactly the layers of `linear` linear, with the model's maps (missing ones fitted)
    Student,  // a distilled student (`path`): its weights, layers and few-step schedule
  };
  Kind kind = Kind::Current;
  std::string path;
  std::string linear;  // "2-8,10-13" (1-based) or a layer-mask .json
};

struct ClipRequest {
  pipeline::GenerationSettings settings;
  LayerChoice layers;
};

struct Clip {
  pipeline::GenerateResult result;        // video [frames, 3, H, W] in [0, 1], timings, status
  pipeline::GenerationSettings settings;  // as sampled (a student's schedule filled in)
  std::vector<std::string> modes;         // each layer's mode during the clip
  std::string model_name;                 // "Wan2.1 1.3B", ...
  std::string student;                    // the student file (absolute), or ""
  std::vector<std::string> notes;         // what was applied, one line each, for the log
  bool cancelled() const { return result.sampling.status == pipeline::Status::Cancelled; }
};

// What a loaded model is, for a front end's model card (no model headers needed to read it).
struct ModelFacts {
  std::string family;  // "Wan2.1 1.3B", ...
  std::int64_t dim = 0, ffn_dim = 0, num_layers = 0, num_heads = 0, head_dim = 0, text_dim = 0, text_len = 0;
  std::int64_t parameters = 0;  // the DiT's
  std::uint64_t weight_bytes = 0;
  std::string dit_dtype;        // "bf16", "fp16", "fp32"
};

class Engine {
 public:
  Engine();
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Loads every part and keeps it resident (the old model goes first), then installs the folder's
  // shipped sidecar. Returns one line per thing worth telling (the sidecar applied, or why not).
  // Throws Error naming the file on a bad folder; the engine is then empty.
  std::vector<std::string> load(const LoadRequest& request, const pipeline::Callbacks& cb = {});
  void unload();
  bool loaded() const;

  // Sets the resident model's layers for good (until the next set_layers or load): the layer
  // choices of generate(), kept. A layer list fits missing maps on `calibration`'s trajectory
  // (its prompt and sampler settings); a student replaces the weights, and every later Current
  // clip samples on its schedule. Returns one line per thing applied. A refused choice leaves the
  // model as it was.
  std::vector<std::string> set_layers(const LayerChoice& choice, const pipeline::GenerationSettings& calibration,
                                      const pipeline::Callbacks& cb = {});

  // The Layers view's calls on the loaded model (core/engine/layers.h), with its defaults.
  LayerTable layers();
  method::ScanResult set_layer_modes(const std::vector<std::pair<int, bool>>& changes,
                                              const LayerChangeOptions& options);
  // A scan measures every layer (or options.only_layers) and fits its maps. Maps::KeepTrained (the
  // Layers view): layers that had maps keep them, and their r and mode; Maps::Fitted: every
  // scanned layer gets the scan's fit (`linvideo scan --save-sidecar`).
  enum class Maps { KeepTrained, Fitted };
  method::ScanResult scan(const method::ScanOptions& options, Maps maps = Maps::KeepTrained,
                                   const std::function<void(const std::string&)>& log = {});

  // Training on the loaded model (core/engine/training.h). Each is refused while a distilled
  // student is installed. cache(): the teacher's trajectories. transfer(): the cache (when the
  // request has prompts), then LinVideo training in a run folder; the model's layers come back as
  // they were, and a finished run's sidecar is then installed (request.install). distill(): DMD2
  // from a sidecar (the shipped one by default); the model is left as it was.
  method::CacheSummary cache(const CacheRequest& request, const TrainCallbacks& cb = {});
  TransferOutcome transfer(const TransferRequest& request, const TrainCallbacks& cb = {});
  method::DistillResult distill(const DistillRequest& request, const TrainCallbacks& cb = {});
  // Writes the model's layers as they are now (modes, maps, r) as a sidecar at `path`.
  void save_sidecar(const std::string& path, const std::string& note = {}, const method::SidecarScores& scores = {});

  // One clip from the resident model. Settings the request leaves at their defaults are not
  // changed here: front ends fill them from defaults() (the folder's model_index.json).
  Clip generate(const ClipRequest& request, const pipeline::Callbacks& cb = {});

  // One clip with nothing kept resident, under the memory plan when the request asks for it: the
  // prompts are encoded and the text encoder dropped before the DiT loads, and the DiT is
  // dropped before decoding. The CLI's path; the same steps and the same clip as load() and
  // generate() (tested bit for bit).
  static Clip generate_once(const LoadRequest& load, const ClipRequest& request, const pipeline::Callbacks& cb = {});

  // The loaded model's parts and facts; each throws Error when nothing is loaded.
  pipeline::TextToVideo& text_to_video();
  const pipeline::GenerationSettings& defaults() const;  // the folder's model_index.json "defaults"
  const pipeline::RuntimePolicy& policy() const;
  const pipeline::ModelSources& sources() const;
  const std::string& folder() const;
  const std::string& sidecar() const;  // the shipped sidecar that was applied, or ""
  const std::string& student() const;  // the student installed by set_layers (absolute), or ""
  ModelFacts facts();

 private:
  struct State;
  State& state() const;  // the loaded model's; throws Error when nothing is loaded
  void require_base_model(const std::string& what) const;  // refuses while a student is installed
  void note_installed_sidecar(const std::string& path);     // its layer scores, for layers()
  std::unique_ptr<State> state_;
};

}  // namespace linvideo::engine
