// Replaceability scan on a tiny model: the warm-up must actually fit the maps (gradients reach
// W_q, W_k), sensitivities must be measured, and the model must come back unchanged.
#include <ATen/ATen.h>
#include <algorithm>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/io/checkpoint.h"
#include "core/io/vae_dialect.h"
#include "core/error.h"
#include "core/io/safetensors.h"
#include "core/method/layer_mask.h"
#include "core/method/replaceability.h"
#include "core/method/sidecar.h"
#include "core/model/wan_dit.h"
#include "core/model/wan_vae.h"
#include "core/pipeline/model_loader.h"
#include "tests/support/test_support.h"
#include "tests/unit/tiny_pipeline.h"

using namespace linvideo;

TEST(Replaceability, TransferFitsEveryLayerAndSensitivityIsMeasured) {
  auto pipe = test::tiny_pipeline();
  pipeline::TextToVideo& t2v = *pipe;
  model::WanDiT* dit = &t2v.dit();
  const at::Tensor before = dit->forward(at::ones({1, 16, 2, 4, 4}), at::full({1}, 500.0), at::ones({1, 4, 16}));

  const pipeline::GenerationSettings s = test::tiny_settings();
  method::ScanOptions o;
  o.prompts = {"a red circle", "a blue square"};
  o.sample_steps = 3;
  o.transfer_steps = 60;
  const auto r = method::scan_layers(t2v, s, o);
  ASSERT_EQ(r.layers.size(), 3u);
  for (const auto& l : r.layers) {
    SCOPED_TRACE(l.layer);
    EXPECT_GT(l.transfer_error_before, 0.0);
    EXPECT_LT(l.transfer_error, l.transfer_error_before);  // the fit moved W
    EXPECT_GT(l.sensitivity, 0.0);
    const auto& state = dit->attention_state(l.layer - 1);  // scores number layers from 1
    EXPECT_EQ(state.mode, model::AttentionMode::Softmax);
    EXPECT_TRUE(state.has_linear_branch());
    EXPECT_FALSE(state.w_q.requires_grad());
    EXPECT_EQ(state.capture, nullptr);
  }
  // The scan leaves the teacher exactly as it was.
  const at::Tensor after = dit->forward(at::ones({1, 16, 2, 4, 4}), at::full({1}, 500.0), at::ones({1, 4, 16}));
  EXPECT_TRUE(at::equal(before, after));
}

TEST(Replaceability, ReportsRisingProgressAndStopsOnCancelWithModesRestored) {
  auto pipe = test::tiny_pipeline();
  pipeline::TextToVideo& t2v = *pipe;
  model::WanDiT& dit = t2v.dit();
  dit.attention_state(1).init_linear_branch(dit.config().num_heads, dit.config().head_dim(), at::kCPU);
  dit.attention_state(1).mode = model::AttentionMode::Linear;
  const pipeline::GenerationSettings s = test::tiny_settings();
  method::ScanOptions o;
  o.prompts = {"a red circle"};
  o.sample_steps = 2;
  o.transfer_steps = 20;
  std::vector<double> fractions;
  o.progress = [&](double f, const std::string&) { fractions.push_back(f); };
  const auto full = method::scan_layers(t2v, s, o);
  EXPECT_FALSE(full.cancelled);
  ASSERT_FALSE(fractions.empty());
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_NEAR(fractions.back(), 1.0, 1e-9);

  // Cancel in the middle of the attention transfer of the second layer.
  pipeline::CancelToken cancel;
  o.cancel = &cancel;
  int calls = 0;
  o.progress = [&](double, const std::string& stage) {
    if (stage == "attention transfer" && ++calls == o.transfer_steps + 5) cancel.cancel();
  };
  const auto part = method::scan_layers(t2v, s, o);
  EXPECT_TRUE(part.cancelled);
  ASSERT_EQ(part.layers.size(), 1u);  // the first layer finished its transfer
  EXPECT_EQ(part.layers[0].layer, 1);
  EXPECT_EQ(calls, o.transfer_steps + 5);  // stopped at once
  EXPECT_EQ(dit.attention_state(1).mode, model::AttentionMode::Linear);  // as before the scan
  EXPECT_EQ(dit.attention_state(0).mode, model::AttentionMode::Softmax);
  for (int l = 0; l < 3; ++l) EXPECT_EQ(dit.attention_state(l).capture, nullptr);
}

TEST(Sidecar, RoundTripsModesMapsAndScoresAndRejectsMismatches) {
  model::DitConfig c;
  c.dim = 32, c.ffn_dim = 64, c.num_heads = 2, c.num_layers = 3, c.text_dim = 16, c.text_len = 8;
  auto a = model::WanDiT::random(c, {}, 1);
  auto& l1 = a->attention_state(1);
  l1.init_linear_branch(2, 16, at::kCPU);
  l1.w_q.normal_();
  l1.mix_score.fill_(0.25);
  l1.mode = model::AttentionMode::Mixed;
  const std::string path = test::temp_dir() + "/model.linvideo.safetensors";
  method::save_sidecar(path, *a, "test");
  auto b = model::WanDiT::random(c, {}, 2);
  method::load_sidecar(path, *b);
  EXPECT_EQ(b->attention_state(0).mode, model::AttentionMode::Softmax);
  EXPECT_FALSE(b->attention_state(0).has_linear_branch());
  const auto& r1 = b->attention_state(1);
  EXPECT_EQ(r1.mode, model::AttentionMode::Mixed);
  EXPECT_TRUE(at::equal(r1.w_q, l1.w_q));
  EXPECT_TRUE(at::equal(r1.w_k, l1.w_k));
  EXPECT_FLOAT_EQ(r1.mix_score.item<float>(), 0.25f);
  // Another depth does not fit.
  c.num_layers = 4;
  auto deeper = model::WanDiT::random(c, {}, 3);
  EXPECT_THROW(method::load_sidecar(path, *deeper), Error);
}

// Issue 20: a sidecar carries what is known about its layers (the run's scores before rounding,
// their path over the steps, a scan's errors), read back as written; a scan can be merged in later.
TEST(Sidecar, CarriesTrainedScoresTheirTrajectoryAndScanScores) {
  model::DitConfig c;
  c.dim = 32, c.ffn_dim = 64, c.num_heads = 2, c.num_layers = 3, c.text_dim = 16, c.text_len = 8;
  auto dit = model::WanDiT::random(c, {}, 1);
  for (int l = 0; l < 3; ++l) dit->attention_state(l).init_linear_branch(2, 16, at::kCPU);
  const std::string path = test::temp_dir() + "/scored.linvideo.safetensors";
  method::SidecarScores s;
  s.r_trained = {0.12, 0.5, 0.93};
  s.transfer_error = {0.3, std::nullopt, 0.1};
  s.r_trajectory = at::tensor({0.9f, 0.9f, 0.9f, 0.6f, 0.5f, 0.95f}).view({2, 3});
  method::save_sidecar(path, *dit, "test", s);
  const method::SidecarScores back = method::read_sidecar_scores(path);
  EXPECT_EQ(back.r_trained, s.r_trained);
  EXPECT_EQ(back.transfer_error, s.transfer_error);
  EXPECT_EQ(back.sensitivity, (std::vector<std::optional<double>>(3, std::nullopt)));
  ASSERT_TRUE(back.r_trajectory.defined());
  EXPECT_TRUE(at::equal(back.r_trajectory, s.r_trajectory));
  auto other = model::WanDiT::random(c, {}, 2);
  method::load_sidecar(path, *other);  // the extra tensor and fields change nothing of the states
  EXPECT_TRUE(at::equal(other->attention_state(2).w_q, dit->attention_state(2).w_q));

  // A scan merged in: its layers get both errors, the others keep theirs; tensors untouched.
  method::ScanResult scan;
  scan.layers.push_back({2, 0.9, 0.45, 0.07});
  method::annotate_sidecar(path, scan, /*sensitivity_measured=*/true);
  const method::SidecarScores merged = method::read_sidecar_scores(path);
  EXPECT_EQ(merged.transfer_error, (std::vector<std::optional<double>>{0.3, 0.45, 0.1}));
  EXPECT_EQ(merged.sensitivity, (std::vector<std::optional<double>>{std::nullopt, 0.07, std::nullopt}));
  EXPECT_EQ(merged.r_trained, s.r_trained);
  EXPECT_TRUE(at::equal(merged.r_trajectory, s.r_trajectory));
  EXPECT_NE(test::read_text_file(path + ".json").find("0.45"), std::string::npos);  // the readable copy too

  // A plain sidecar has none; a malformed score or trajectory names the file and the field.
  const std::string plain = test::temp_dir() + "/plain.linvideo.safetensors";
  method::save_sidecar(plain, *dit, "plain");
  EXPECT_TRUE(method::read_sidecar_scores(plain).r_trained.empty());
  EXPECT_FALSE(method::read_sidecar_scores(plain).r_trajectory.defined());
  const std::string bad = test::temp_dir() + "/bad-score.linvideo.safetensors";
  io::write_safetensors(bad, {{"unused", at::zeros({1})}}, {{"linvideo", R"({"layers": [{"r_trained": 1.5}]})"}});
  try {
    method::read_sidecar_scores(bad);
    ADD_FAILURE() << "accepted r_trained 1.5";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'r_trained'"), std::string::npos) << e.what();
  }
  const std::string shape = test::temp_dir() + "/bad-path.linvideo.safetensors";
  io::write_safetensors(shape, {{"linvideo.r_trajectory", at::zeros({4})}}, {{"linvideo", R"({"layers": [{}, {}]})"}});
  try {
    method::read_sidecar_scores(shape);
    ADD_FAILURE() << "accepted a 1-D trajectory";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("r_trajectory"), std::string::npos) << e.what();
  }
}

TEST(Sidecar, LayerListsAreOneBasedRangesWithClearErrors) {
  EXPECT_EQ(method::parse_layer_list("2-4,7,9-9", 10, "--linear"), (std::vector<int>{2, 3, 4, 7, 9}));
  EXPECT_EQ(method::parse_layer_list("3,1-2", 3, "--linear"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(method::parse_layer_list("2 - 4, 7", 10, "--linear"), (std::vector<int>{2, 3, 4, 7}));
  // Trailing text, signs and huge numbers were read by std::stoi's prefix rule ("1-2-3" was 1-2).
  for (const std::string bad : {"0-3", "5-2", "a", "", "11", "2-x", "1-2-3", "+2", "-3", "2x", "99999999999", "1-99999999999"}) {
    SCOPED_TRACE(bad);
    try {
      method::parse_layer_list(bad, 10, "--linear");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("--linear"), std::string::npos);
    }
  }
}

// Issue 18: a sidecar whose manifest has the wrong shape or types gives a one-line error naming the
// file and the layer or field (it was an nlohmann type_error).
TEST(Sidecar, HostileManifestsNameTheFileAndField) {
  model::DitConfig c;
  c.dim = 32, c.ffn_dim = 64, c.num_heads = 2, c.num_layers = 2, c.text_dim = 16, c.text_len = 8;
  auto dit = model::WanDiT::random(c, {}, 1);
  const std::string dir = test::temp_dir();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"layers": {"0": {}}})", "'layers'"},
      {R"({"layers": [7, {}]})", "layer 1"},
      {R"({"layers": [{"has_maps": "yes"}, {}]})", "'has_maps'"},
      {R"({"layers": [{"mode": 3}, {}]})", "'mode'"},
      {R"({"layers": [{}, {"mode": "fast"}]})", "layer 2: unknown attention mode 'fast'"},
      {R"({"layers": [{"mode": "linear"}, {}]})", "layer 1 is linear but has no maps"},
      {R"({"layers": [{}, {}, {}]})", "sidecar has 3 layers, the model 2"},
      {R"("layers")", "must be a JSON object"},
  };
  int n = 0;
  for (const auto& [manifest, field] : cases) {
    SCOPED_TRACE(manifest);
    const std::string path = dir + "/hostile" + std::to_string(++n) + ".linvideo.safetensors";
    io::write_safetensors(path, {{"unused", at::zeros({1})}}, {{"linvideo", manifest}});
    try {
      method::load_sidecar(path, *dit);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}

// Issue 19: "linearise the k most replaceable" was the studio's alone; `linvideo scan --rank K`
// applies the same rule (core/method/layer_ranking) and can save the choice as a layer mask.
TEST(Replaceability, CliRanksTheMostReplaceableLayersAndSavesAMask) {
  const std::string dir = test::temp_dir();
  const std::string base = std::string(LINVIDEO_CLI) + " scan -p 'a small red circle moving left on a black background'" +
                           " --steps 1 --transfer-steps 2 --layers 1-3";
  const std::string cmd = base + " --rank 2 --save-mask " + dir + "/mask.json --out " + dir + "/scan.json > " + dir +
                          "/out.txt 2> /dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << test::read_text_file(dir + "/out.txt");
  const auto j = nlohmann::json::parse(test::read_text_file(dir + "/scan.json"));
  // The rule, recomputed here from the printed scores: lowest sensitivity first, ties by layer.
  std::vector<std::pair<double, int>> by_sensitivity;
  for (const auto& l : j["layers"]) by_sensitivity.emplace_back(l["sensitivity"].get<double>(), l["layer"].get<int>());
  ASSERT_EQ(by_sensitivity.size(), 3u);
  std::sort(by_sensitivity.begin(), by_sensitivity.end());
  const std::vector<int> expected = {by_sensitivity[0].second, by_sensitivity[1].second};
  EXPECT_EQ(j["most_replaceable"]["basis"], "sensitivity");
  EXPECT_EQ(j["most_replaceable"]["layers"].get<std::vector<int>>(), expected);
  const int layers = nlohmann::json::parse(test::read_text_file(pipeline::default_model_dir() + "/transformer/config.json"))
                         .value("num_layers", 0);
  const auto mask = method::read_layer_mask(dir + "/mask.json", layers, "--linear");
  std::vector<int> sorted = expected;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(mask.linear, sorted);
  EXPECT_NE(test::read_text_file(dir + "/out.txt").find("most replaceable 2 (by sensitivity)"), std::string::npos);
  // A mask needs a count.
  EXPECT_NE(std::system((base + " --save-mask " + dir + "/m2.json > /dev/null 2> " + dir + "/err.txt").c_str()), 0);
  EXPECT_NE(test::read_text_file(dir + "/err.txt").find("--rank"), std::string::npos);
}
