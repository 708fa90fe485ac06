// Layer masks (one JSON format for the CLI and the studio), their effect through apply_linvideo,
// and the FLOP model behind the studio's predicted speed-up.
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/method/apply.h"
#include "core/method/attention_cost.h"
#include "core/method/layer_mask.h"
#include "core/model/wan_dit.h"
#include "tests/unit/tiny_pipeline.h"

using namespace linvideo;
using method::LayerMask;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}
void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }
}  // namespace

TEST(LayerMask, RoundTripsAndFormatsRanges) {
  const std::string path = test::temp_dir() + "/mask.json";
  method::write_layer_mask(path, LayerMask{30, {2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 23, 25, 30}});
  const LayerMask back = method::read_layer_mask(path, 30, "--linear");
  EXPECT_EQ(back.num_layers, 30);
  EXPECT_EQ(method::format_layer_list(back.linear), "2-8,10-13,15-16,23,25,30");
  EXPECT_EQ(method::format_layer_list({}), "");
  EXPECT_EQ(method::format_layer_list({4, 1, 2, 2}), "1-2,4");
  // The text form is accepted wherever a mask is.
  EXPECT_EQ(method::read_layer_mask("3,1-2", 8, "--linear").linear, (std::vector<int>{1, 2, 3}));
}

TEST(LayerMask, BadFilesAreOneLineErrorsNamingTheFile) {
  const std::string dir = test::temp_dir();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1, 2]", "not a JSON object"},
      {R"({"format": "other", "num_layers": 8, "linear": [1]})", "\"format\""},
      {R"({"format": "linvideo-layer-mask", "num_layers": 30, "linear": [1]})", "this model has 8"},
      {R"({"format": "linvideo-layer-mask", "num_layers": 8, "linear": [0]})", "numbered 1..8"},
      {R"({"format": "linvideo-layer-mask", "num_layers": 8, "linear": "1-3"})", "array"},
      // issue 18: wrong types and huge values name the field instead of a JSON type_error
      {R"({"format": 3, "num_layers": 8, "linear": [1]})", "\"format\""},
      {R"({"format": "linvideo-layer-mask", "num_layers": "8", "linear": [1]})", "'num_layers'"},
      {R"({"format": "linvideo-layer-mask", "num_layers": 1e20, "linear": [1]})", "'num_layers'"},
      {R"({"format": "linvideo-layer-mask", "num_layers": 8, "linear": [18446744073709551615]})", "numbered 1..8"},
      {R"({"format": "linvideo-layer-mask", "num_layers": 8, "linear": [-3]})", "numbered 1..8"},
  };
  int i = 0;
  for (const auto& [text, expected] : cases) {
    const std::string path = dir + "/bad" + std::to_string(i++) + ".json";
    write(path, text);
    const std::string msg = error_of([&] { method::read_layer_mask(path, 8, "--linear"); });
    EXPECT_NE(msg.find(path), std::string::npos) << msg;
    EXPECT_NE(msg.find(expected), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_NE(error_of([&] { method::read_layer_mask(dir + "/missing.json", 8, "--linear"); }).find("missing.json"),
            std::string::npos);
}

// A mask sets the modes exactly: its layers linear, every other layer softmax, also over a
// sidecar or an earlier mask.
TEST(LayerMask, ApplyMakesExactlyTheMaskedLayersLinear) {
  auto t2v = test::tiny_pipeline();
  auto s = test::tiny_settings();
  s.steps = 2;
  const at::Tensor ctx = t2v->encode_prompt("a red circle"), neg = t2v->encode_prompt("");
  method::apply_linvideo(*t2v, "", "1,2", s, {{ctx, neg}});
  const std::string path = test::temp_dir() + "/mask-3.json";
  method::write_layer_mask(path, LayerMask{3, {3}});
  const std::string summary = method::apply_linvideo(*t2v, "", path, s, {{ctx, neg}});
  EXPECT_NE(summary.find("linear layers 3"), std::string::npos) << summary;
  EXPECT_EQ(t2v->dit().attention_state(0).mode, model::AttentionMode::Softmax);
  EXPECT_EQ(t2v->dit().attention_state(1).mode, model::AttentionMode::Softmax);
  EXPECT_EQ(t2v->dit().attention_state(2).mode, model::AttentionMode::Linear);
  EXPECT_TRUE(t2v->dit().attention_state(2).has_linear_branch());
}

// Wan 1.3B at 480x832, 81 frames: 32,760 tokens, and about 82 TFLOP outside softmax attention
// (the GPU notes' figure); attention is most of the work, so 16 linear layers predict >= 1.5x.
TEST(AttentionCost, MatchesTheWan13BFiguresAndGrowsWithTheMask) {
  model::DitConfig c;  // defaults: Wan 1.3B
  const method::VideoSize size{81, 480, 832};
  const auto none = method::estimate_forward_cost(c, size, {});
  EXPECT_EQ(none.tokens, 32760);
  EXPECT_DOUBLE_EQ(none.predicted_speedup, 1.0);
  EXPECT_NEAR(none.other_flops_per_layer * 30 / 1e12, 82, 82 * 0.1);
  EXPECT_GT(none.attention_share, 0.5);
  EXPECT_LT(none.linear_attention_flops, none.softmax_attention_flops / 20);
  const auto k16 = method::estimate_forward_cost(c, size, {2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 16, 23, 25, 30});
  const auto k10 = method::estimate_forward_cost(c, size, {2, 3, 4, 5, 6, 7, 8, 10, 11, 12});
  EXPECT_GT(k16.predicted_speedup, k10.predicted_speedup);
  EXPECT_GT(k16.predicted_speedup, 1.5);
  // Duplicates and out-of-range layers do not count twice or at all.
  EXPECT_DOUBLE_EQ(method::estimate_forward_cost(c, size, {2, 2, 31}).masked_flops,
                   method::estimate_forward_cost(c, size, {2}).masked_flops);
  // Short clips: attention matters little, so the predicted gain is small.
  const auto shapes = method::estimate_forward_cost(c, {17, 128, 128}, {1, 2, 3, 4});
  EXPECT_LT(shapes.predicted_speedup, 1.1);
}
