// The engine's front door (core/engine, issue 19): one resident model, one clip per request, and
// every request leaves the model exactly as it found it; the one-shot path (the CLI's) gives the
// same clip as the resident one (the studio's).
#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/engine/compare.h"
#include "core/engine/engine.h"
#include "core/error.h"
#include "core/method/student.h"
#include "core/model/wan_dit.h"
#include "core/pipeline/clip_tags.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using engine::LayerChoice;

namespace {

engine::ClipRequest small_request() {
  engine::ClipRequest r;
  r.settings = pipeline::model_defaults(pipeline::default_model_dir(), pipeline::GenerationSettings{});
  r.settings.prompt = "a small red circle moving left on a black background";
  r.settings.seed = 11;
  r.settings.steps = 2;
  r.settings.frames = 5;
  return r;
}

// Every weight and every layer's attention state, copied: what each request must leave behind.
struct ModelSnapshot {
  std::vector<at::Tensor> weights;
  std::vector<model::AttentionMode> modes;
  std::vector<at::Tensor> maps;  // w_q, w_k, r of each layer (undefined where absent)
  explicit ModelSnapshot(const model::WanDiT& dit) {
    for (const auto& [name, t] : dit.named_weights()) weights.push_back(t.clone());
    for (std::int64_t i = 0; i < dit.num_layers(); ++i) {
      const model::AttentionLayerState& s = const_cast<model::WanDiT&>(dit).attention_state(i);
      modes.push_back(s.mode);
      for (const at::Tensor& t : {s.w_q, s.w_k, s.mix_score}) maps.push_back(t.defined() ? t.clone() : at::Tensor());
    }
  }
  bool operator==(const ModelSnapshot& o) const {
    if (weights.size() != o.weights.size() || modes != o.modes || maps.size() != o.maps.size()) return false;
    for (std::size_t i = 0; i < weights.size(); ++i)
      if (!at::equal(weights[i], o.weights[i])) return false;
    for (std::size_t i = 0; i < maps.size(); ++i) {
      if (maps[i].defined() != o.maps[i].defined()) return false;
      if (maps[i].defined() && !at::equal(maps[i], o.maps[i])) return false;
    }
    return true;
  }
};

TEST(Engine, LoadInstallsTheShippedSidecarAndEveryRequestLeavesTheModelAsItWas) {
  engine::Engine eng;
  EXPECT_FALSE(eng.loaded());
  EXPECT_THROW(eng.generate(small_request()), Error);  // nothing loaded: a readable error
  const std::vector<std::string> notes = eng.load(engine::LoadRequest{});
  ASSERT_TRUE(eng.loaded());
  EXPECT_EQ(eng.sidecar(), pipeline::default_model_dir() + "/shapes.linvideo.safetensors");
  bool told = false;
  for (const std::string& n : notes) told = told || n.find("shapes.linvideo.safetensors") != std::string::npos;
  EXPECT_TRUE(told) << "load() says which sidecar it applied";
  const ModelSnapshot loaded(eng.text_to_video().dit());

  engine::ClipRequest r = small_request();
  const engine::Clip current = eng.generate(r);
  ASSERT_FALSE(current.cancelled());
  EXPECT_EQ(current.modes, pipeline::attention_mode_names(eng.text_to_video().dit()));
  EXPECT_EQ(current.model_name, eng.text_to_video().dit().config().family());

  for (const LayerChoice& choice : {LayerChoice{LayerChoice::Kind::Teacher, {}, {}},
                                    LayerChoice{LayerChoice::Kind::Linear, {}, "1-2"},
                                    LayerChoice{LayerChoice::Kind::Sidecar, {}, {}}}) {
    r.layers = choice;
    const engine::Clip clip = eng.generate(r);
    EXPECT_TRUE(ModelSnapshot(eng.text_to_video().dit()) == loaded) << "choice " << int(choice.kind);
    if (choice.kind == LayerChoice::Kind::Teacher)
      EXPECT_EQ(clip.modes, std::vector<std::string>(clip.modes.size(), "softmax"));
    if (choice.kind == LayerChoice::Kind::Linear) {
      EXPECT_EQ(clip.modes[0], "linear");
      EXPECT_EQ(clip.modes[1], "linear");
      EXPECT_EQ(clip.modes[2], "softmax");
    }
  }
  // The same request twice is the same clip, bit for bit (nothing leaked between requests).
  r.layers = {};
  EXPECT_TRUE(at::equal(eng.generate(r).result.video, current.result.video));
}

TEST(Engine, AStudentClipRestoresTheModelsWeightsAndUsesTheStudentsSchedule) {
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  model::WanDiT& dit = eng.text_to_video().dit();
  const ModelSnapshot loaded(dit);
  // A "student": the loaded weights nudged, saved with a 3-step schedule, then put back.
  const std::string file = test::temp_dir() + "/engine-student.safetensors";
  {
    at::NoGradGuard no_grad;
    for (const auto& [name, t] : dit.named_weights()) t.add_(0.01);
    method::save_student(file, dit, method::make_few_step_schedule({1000, 600, 300}, 3.0));
    for (const auto& [name, t] : dit.named_weights()) t.sub_(0.01);
  }
  const ModelSnapshot before(dit);
  engine::ClipRequest r = small_request();
  r.layers = {LayerChoice::Kind::Student, file, {}};
  const engine::Clip clip = eng.generate(r);
  EXPECT_EQ(clip.settings.fixed_sigmas.size(), 3u);
  EXPECT_EQ(clip.result.sampling.steps_done, 3);
  EXPECT_FALSE(clip.student.empty());
  EXPECT_TRUE(ModelSnapshot(dit) == before);
  // A sidecar choice naming a student file is taken as the student (the CLI's --linvideo).
  r.layers = {LayerChoice::Kind::Sidecar, file, {}};
  const engine::Clip again = eng.generate(r);
  EXPECT_TRUE(at::equal(again.result.video, clip.result.video));
  EXPECT_TRUE(ModelSnapshot(dit) == before);
}

TEST(Engine, OneShotGenerationIsTheResidentEnginesClip) {
  engine::ClipRequest r = small_request();
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  for (const LayerChoice& choice : {LayerChoice{}, LayerChoice{LayerChoice::Kind::Teacher, {}, {}},
                                    LayerChoice{LayerChoice::Kind::Linear, {}, "2-4"}}) {
    r.layers = choice;
    const engine::Clip resident = eng.generate(r);
    engine::LoadRequest load;
    load.memory_plan = true;  // text encoder dropped before the DiT, DiT before decode
    const engine::Clip once = engine::Engine::generate_once(load, r);
    EXPECT_EQ(once.modes, resident.modes) << "choice " << int(choice.kind);
    EXPECT_TRUE(at::equal(once.result.sampling.latents, resident.result.sampling.latents)) << "choice " << int(choice.kind);
    EXPECT_TRUE(at::equal(once.result.video, resident.result.video)) << "choice " << int(choice.kind);
  }
}

TEST(Engine, BadRequestsAreErrorsThatNameTheProblem) {
  engine::Engine eng;
  try {
    engine::LoadRequest bad;
    bad.folder = test::temp_dir() + "/no-such-model";
    eng.load(bad);
    ADD_FAILURE() << "loaded a folder that does not exist";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such-model"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(eng.loaded());
  eng.load(engine::LoadRequest{});
  engine::ClipRequest r = small_request();
  r.layers = {LayerChoice::Kind::Linear, {}, ""};
  EXPECT_THROW(eng.generate(r), Error);
  r.layers = {LayerChoice::Kind::Linear, {}, "1-99"};
  EXPECT_THROW(eng.generate(r), Error);
  r.layers = {LayerChoice::Kind::Student, test::temp_dir() + "/missing.safetensors", {}};
  try {
    eng.generate(r);
    ADD_FAILURE() << "accepted a missing student";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.safetensors"), std::string::npos) << e.what();
  }
  // A refused request leaves the model usable and unchanged.
  const ModelSnapshot loaded(eng.text_to_video().dit());
  r.layers = {};
  EXPECT_FALSE(eng.generate(r).cancelled());
  EXPECT_TRUE(ModelSnapshot(eng.text_to_video().dit()) == loaded);
}

TEST(Engine, CancellingReturnsACancelledClipAndKeepsTheModel) {
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  const ModelSnapshot loaded(eng.text_to_video().dit());
  pipeline::CancelToken cancel;
  pipeline::Callbacks cb;
  cb.cancel = &cancel;
  cb.on_step = [&](const pipeline::StepProgress&) { cancel.cancel(); };
  engine::ClipRequest r = small_request();
  r.layers = {LayerChoice::Kind::Teacher, {}, {}};
  const engine::Clip clip = eng.generate(r, cb);
  EXPECT_TRUE(clip.cancelled());
  EXPECT_EQ(clip.result.sampling.steps_done, 1);
  EXPECT_FALSE(clip.result.video.defined());
  EXPECT_TRUE(ModelSnapshot(eng.text_to_video().dit()) == loaded);
}

TEST(Engine, SetLayersKeepsAChoiceForEveryLaterClip) {
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  model::WanDiT& dit = eng.text_to_video().dit();
  const ModelSnapshot loaded(dit);
  const engine::ClipRequest r = small_request();
  // A refused choice (a layer past the end) changes nothing.
  EXPECT_THROW(eng.set_layers({LayerChoice::Kind::Linear, {}, "1-99"}, r.settings), Error);
  EXPECT_TRUE(ModelSnapshot(dit) == loaded);
  // A layer list stays for the clips after it, and equals that choice made per clip.
  eng.set_layers({LayerChoice::Kind::Linear, {}, "2-3"}, r.settings);
  const engine::Clip kept = eng.generate(r);
  EXPECT_EQ(kept.modes[0], "softmax");
  EXPECT_EQ(kept.modes[1], "linear");
  EXPECT_EQ(kept.modes[2], "linear");
  EXPECT_EQ(pipeline::attention_mode_names(dit), kept.modes);
  eng.set_layers({LayerChoice::Kind::Teacher, {}, {}}, r.settings);
  EXPECT_EQ(eng.generate(r).modes, std::vector<std::string>(kept.modes.size(), "softmax"));
  // A student replaces the weights for good, and every later clip samples on its schedule.
  const std::string file = test::temp_dir() + "/engine-set-student.safetensors";
  method::save_student(file, dit, method::make_few_step_schedule({1000, 500}, 3.0));
  eng.set_layers({LayerChoice::Kind::Student, file, {}}, r.settings);
  const engine::Clip student = eng.generate(r);
  EXPECT_EQ(student.result.sampling.steps_done, 2);
  EXPECT_FALSE(student.student.empty());
  // Training a student as if it were the teacher is refused, naming the student.
  engine::TransferRequest t;
  t.options.run_dir = test::temp_dir() + "/engine-student-transfer";
  try {
    eng.transfer(t);
    ADD_FAILURE() << "trained a student";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("engine-set-student.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Engine, TransferBuildsTheCacheTrainsAndInstallsOnlyAFinishedRun) {
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  model::WanDiT& dit = eng.text_to_video().dit();
  const ModelSnapshot loaded(dit);
  engine::TransferRequest r;
  r.options.run_dir = test::temp_dir() + "/engine-transfer";
  r.options.objective = "mse";
  r.options.steps = 3;
  r.options.warmup_steps = 0;
  r.options.checkpoint_every = 1;
  r.layers = "2,5";
  r.cache.prompts = {"a small red circle moving left"};
  r.cache.steps = 2;

  // Cancelled after the first step: a checkpoint, and the model exactly as it was.
  pipeline::CancelToken cancel;
  engine::TrainCallbacks cb;
  cb.cancel = &cancel;
  std::vector<std::pair<std::int64_t, std::int64_t>> cached;
  cb.on_cache = [&](std::int64_t done, std::int64_t total) { cached.emplace_back(done, total); };
  cb.on_transfer_step = [&](const method::TransferStep&) { cancel.cancel(); };
  const engine::TransferOutcome part = eng.transfer(r, cb);
  EXPECT_TRUE(part.run.cancelled);
  EXPECT_TRUE(part.run.sidecar.empty());
  EXPECT_EQ(cached, (std::vector<std::pair<std::int64_t, std::int64_t>>{{1, 1}}));
  EXPECT_TRUE(ModelSnapshot(dit) == loaded);

  // The folder now holds a run: refused without resume, naming the way on.
  try {
    eng.transfer(r);
    ADD_FAILURE() << "started over a run";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--resume"), std::string::npos) << e.what();
  }
  r.resume = true;
  const engine::TransferOutcome done = eng.transfer(r);
  EXPECT_FALSE(done.cancelled());
  EXPECT_EQ(done.cache.new_shards, 0);  // the complete cache is reused
  EXPECT_EQ(done.run.steps_done, 3);
  EXPECT_EQ(done.run.linear_layers, (std::vector<int>{2, 5}));
  ASSERT_FALSE(done.run.sidecar.empty());
  const std::vector<std::string> modes = pipeline::attention_mode_names(dit);
  for (std::size_t i = 0; i < modes.size(); ++i) EXPECT_EQ(modes[i], i == 1 || i == 4 ? "linear" : "softmax") << i;
}

TEST(Engine, CompareMeasuresEveryVariantAgainstTheFirstAndKeepsTheModel) {
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  const ModelSnapshot loaded(eng.text_to_video().dit());
  const pipeline::GenerationSettings s = small_request().settings;
  EXPECT_THROW(engine::compare(eng, s, {{"alone", {}}}), Error);  // nothing to compare with
  const std::vector<engine::VariantResult> rows =
      engine::compare(eng, s, {{"teacher", {LayerChoice::Kind::Teacher, {}, {}}},
                               {"teacher again", {LayerChoice::Kind::Teacher, {}, {}}},
                               {"all linear", {LayerChoice::Kind::Linear, {}, "1-8"}}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_TRUE(ModelSnapshot(eng.text_to_video().dit()) == loaded);
  EXPECT_EQ(rows[2].label, "all linear");
  EXPECT_EQ(rows[2].clip.modes, std::vector<std::string>(8, "linear"));
  for (const engine::VariantResult& r : rows) {
    EXPECT_EQ(r.frames.count, s.frames) << r.label;
    EXPECT_GE(r.metrics.flicker, 0.0) << r.label;
  }
  EXPECT_FALSE(rows[0].metrics.psnr.has_value());  // the reference is not measured against itself
  if (!rows[1].metrics.psnr) GTEST_SKIP() << "no OpenCV in this build: " << rows[1].metrics.note;
  EXPECT_DOUBLE_EQ(*rows[1].metrics.psnr, 100.0);  // the same clip (PSNR is capped at 100)
  EXPECT_DOUBLE_EQ(*rows[1].metrics.ssim, 1.0);
  EXPECT_LT(*rows[2].metrics.psnr, 60.0);
  EXPECT_LT(*rows[2].metrics.ssim, 1.0);
  ASSERT_TRUE(rows[0].metrics.eval_total.has_value()) << rows[0].metrics.note;  // a shapes-world prompt
  EXPECT_DOUBLE_EQ(*rows[0].metrics.eval_total, *rows[1].metrics.eval_total);
}

TEST(Engine, DistillWithoutASidecarIsARefusalNamingIt) {
  const pipeline::ModelSources src = pipeline::resolve_model_folder(pipeline::default_model_dir());
  engine::LoadRequest parts;  // explicit parts: no folder, so no shipped sidecar
  parts.dit = src.dit, parts.vae = src.vae, parts.text_encoder = src.text_encoder, parts.tokenizer = src.tokenizer;
  engine::Engine eng;
  eng.load(parts);
  EXPECT_TRUE(eng.sidecar().empty());
  engine::DistillRequest d;
  d.options.run_dir = test::temp_dir() + "/engine-distill-no-sidecar";
  try {
    eng.distill(d);
    ADD_FAILURE() << "distilled without a sidecar";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--sidecar"), std::string::npos) << e.what();
  }
  d.options.sidecar = test::temp_dir() + "/no-such.linvideo.safetensors";
  try {
    eng.distill(d);
    ADD_FAILURE() << "distilled from a missing sidecar";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no-such.linvideo.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Engine, LayersReadAndSetModesFittingNoMapsWhereTheyExist) {
  engine::Engine eng;
  eng.load(engine::LoadRequest{});
  const engine::LayerTable before = eng.layers();
  ASSERT_EQ(before.layers.size(), static_cast<std::size_t>(eng.facts().num_layers));
  // The shipped sidecar: its linear layers have maps.
  int linear = 0;
  for (const engine::LayerInfo& l : before.layers) {
    if (l.mode == engine::LayerMode::Linear) {
      ++linear;
      EXPECT_TRUE(l.has_maps) << "layer " << l.layer;
    }
  }
  EXPECT_GT(linear, 0);
  // A layer out of range is refused before anything changes.
  EXPECT_THROW(eng.set_layer_modes({{1, false}, {99, true}}, {}), Error);
  EXPECT_EQ(eng.layers().layers[0].mode, before.layers[0].mode);
  // Every layer with maps made softmax, then back: nothing is fitted (no scores come back).
  std::vector<std::pair<int, bool>> off, on;
  for (const engine::LayerInfo& l : before.layers)
    if (l.mode == engine::LayerMode::Linear) off.emplace_back(l.layer, false), on.emplace_back(l.layer, true);
  EXPECT_TRUE(eng.set_layer_modes(off, {}).layers.empty());
  for (const engine::LayerInfo& l : eng.layers().layers) EXPECT_EQ(l.mode, engine::LayerMode::Softmax);
  EXPECT_TRUE(eng.set_layer_modes(on, {}).layers.empty());
  for (std::size_t i = 0; i < before.layers.size(); ++i) EXPECT_EQ(eng.layers().layers[i].mode, before.layers[i].mode);
}

}  // namespace
