// umT5 loading: layout detection, config parsing and detection, and errors that name the tensor.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <fstream>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/safetensors.h"
#include "core/text/umt5_config.h"
#include "core/text/umt5_encoder.h"
#include "core/text/umt5_keys.h"
#include "tests/support/test_support.h"

using namespace linvideo;
using Tensors = std::vector<std::pair<std::string, at::Tensor>>;

namespace {

const std::string kHfFile = "umt5_tiny.hf.safetensors";

Tensors read_all(const std::string& path) {
  const io::SafetensorsFile file(path);
  Tensors out;
  for (const auto& e : file.header().tensors) out.emplace_back(e.name, file.tensor(e.name).clone());
  return out;
}

std::string write_temp(const Tensors& tensors, const std::string& name = "model.safetensors") {
  const std::string path = test::temp_dir() + "/" + name;
  io::write_safetensors(path, tensors);
  return path;
}

// The error message of loading `path` with the golden config, or "" if it loads.
std::string load_error(const std::string& path) {
  try {
    text::UMT5Encoder::load(io::Checkpoint::open(path),
                            text::load_umt5_config(test::golden_dir() + "/umt5_tiny.config.json"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

at::Tensor run_golden_input(const text::UMT5Encoder& encoder) {
  const io::SafetensorsFile io(test::golden_dir() + "/umt5_tiny.io.safetensors");
  return encoder.forward(io.tensor("input_ids"), io.tensor("attention_mask"));
}

}  // namespace

TEST(Umt5Keys, MapsEveryInternalNameToTransformers) {
  text::UMT5KeyMap map;
  map.layout = text::UMT5Layout::Transformers;
  map.embedding = "shared.weight";
  EXPECT_EQ(map.to_stored("token_embedding.weight"), "shared.weight");
  EXPECT_EQ(map.to_stored("norm.weight"), "encoder.final_layer_norm.weight");
  EXPECT_EQ(map.to_stored("blocks.11.ffn.gate.0.weight"), "encoder.block.11.layer.1.DenseReluDense.wi_0.weight");
  EXPECT_EQ(map.to_stored("blocks.3.ffn.fc1.weight"), "encoder.block.3.layer.1.DenseReluDense.wi_1.weight");
  EXPECT_EQ(map.to_stored("blocks.0.pos_embedding.embedding.weight"),
            "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");
  EXPECT_EQ(map.to_stored("blocks.2.norm2.weight"), "encoder.block.2.layer.1.layer_norm.weight");
  EXPECT_THROW(map.to_stored("blocks.0.bogus.weight"), Error);
}

TEST(Umt5Keys, DetectsPrefixAndTheTiedEmbeddingAlias) {
  const auto map = text::detect_umt5_layout(
      {"text_encoder.encoder.embed_tokens.weight", "text_encoder.encoder.final_layer_norm.weight"}, "x");
  EXPECT_EQ(map.layout, text::UMT5Layout::Transformers);
  EXPECT_EQ(map.prefix, "text_encoder.");
  EXPECT_EQ(map.to_stored("token_embedding.weight"), "text_encoder.encoder.embed_tokens.weight");
  try {
    text::detect_umt5_layout({"patch_embedding.weight"}, "dit.safetensors");
    FAIL() << "detected a umT5 layout in a DiT";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dit.safetensors"), std::string::npos) << e.what();
  }
}

TEST(Umt5Buckets, MatchTheT5Bucketing) {
  // 32 buckets, max distance 128: 16 per direction, 8 exact, keys to the right offset by 16.
  const at::Tensor b = text::relative_position_buckets(1, 300, 32, 128);  // query 0, keys 0..299
  auto at_distance = [&](std::int64_t d) { return b[0][d].item<std::int64_t>(); };
  EXPECT_EQ(at_distance(0), 0);
  EXPECT_EQ(at_distance(1), 17);
  EXPECT_EQ(at_distance(7), 23);
  EXPECT_EQ(at_distance(8), 24);   // 8 + floor(log(1) ...) = 8
  EXPECT_EQ(at_distance(12), 25);  // 8 + floor(log(1.5) / log(16) * 8) = 9
  EXPECT_EQ(at_distance(20), 26);  // 8 + floor(2.64); powers of two are avoided: float rounding
  EXPECT_EQ(at_distance(40), 28);  // 8 + floor(4.64)
  EXPECT_EQ(at_distance(127), 31);
  EXPECT_EQ(at_distance(299), 31);  // clipped
  const at::Tensor left = text::relative_position_buckets(300, 1, 32, 128);  // key 0, queries 0..299
  EXPECT_EQ(left[1][0].item<std::int64_t>(), 1);
  EXPECT_EQ(left[12][0].item<std::int64_t>(), 9);
  EXPECT_EQ(left[299][0].item<std::int64_t>(), 15);
}

TEST(Umt5Config, ParsesTransformersConfigAndRejectsOtherActivations) {
  const auto c = text::parse_umt5_config(
      R"({"d_model": 8, "d_kv": 2, "num_heads": 4, "d_ff": 12, "num_layers": 2, "vocab_size": 50,
          "relative_attention_num_buckets": 16, "relative_attention_max_distance": 64,
          "layer_norm_epsilon": 1e-5, "feed_forward_proj": "gated-gelu"})",
      "cfg.json");
  EXPECT_EQ(c.inner_dim(), 8);
  EXPECT_EQ(c.num_buckets, 16);
  EXPECT_EQ(c.max_distance, 64);
  EXPECT_DOUBLE_EQ(c.eps, 1e-5);
  EXPECT_EQ(text::UMT5Config().parameter_count(), 5680910336LL);  // umT5-XXL encoder, wan21.md
  try {
    text::parse_umt5_config(R"({"feed_forward_proj": "relu"})", "cfg.json");
    FAIL() << "accepted a relu FFN";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("feed_forward_proj"), std::string::npos) << e.what();
  }
  EXPECT_THROW(text::parse_umt5_config(R"({"num_heads": "four"})", "cfg.json"), Error);
  EXPECT_THROW(text::parse_umt5_config("[1, 2]", "cfg.json"), Error);
}

// Issue 18: sizes had no upper bound, so a config could ask for any amount of memory and make
// parameter_count() overflow.
TEST(Umt5Config, HostileValuesAreRefusedNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"vocab_size": 9000000000000})", "vocab_size"},
      {R"({"d_model": 1000000})", "d_model"},
      {R"({"d_ff": 1e9})", "d_ff"},
      {R"({"num_layers": 100000})", "num_layers"},
      {R"({"num_heads": 4096})", "num_heads"},
      {R"({"relative_attention_num_buckets": 1000000})", "relative_attention_num_buckets"},
      {R"({"relative_attention_max_distance": 9007199254740993})", "relative_attention_max_distance"},
      {R"({"layer_norm_epsilon": 5})", "layer_norm_epsilon"},
      {R"({"layer_norm_epsilon": "small"})", "layer_norm_epsilon"},
      {R"({"d_kv": -3})", "d_kv"},
  };
  for (const auto& [text, field] : cases) {
    SCOPED_TRACE(text);
    try {
      text::parse_umt5_config(text, "hostile/config.json");
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("hostile/config.json: ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}

TEST(Umt5Config, TakesMaxDistanceAndEpsFromAConfigBesideTheWeights) {
  const std::string path = write_temp(read_all(test::golden_dir() + "/" + kHfFile));
  const std::string folder = path.substr(0, path.rfind('/'));
  std::ofstream(folder + "/config.json") << R"({"model_type": "umt5", "d_model": 64, "d_kv": 16,
      "num_heads": 4, "d_ff": 96, "num_layers": 3, "vocab_size": 320,
      "relative_attention_max_distance": 64, "layer_norm_epsilon": 1e-5})";
  const auto ckpt = io::Checkpoint::open(path);
  const auto c = text::detect_umt5_config(ckpt, text::detect_umt5_layout(ckpt.keys(), ckpt.source()));
  EXPECT_EQ(c.max_distance, 64);
  EXPECT_DOUBLE_EQ(c.eps, 1e-5);

  std::ofstream(folder + "/config.json") << R"({"model_type": "umt5", "d_model": 64, "num_layers": 5})";
  try {
    text::detect_umt5_config(ckpt, text::detect_umt5_layout(ckpt.keys(), ckpt.source()));
    FAIL() << "accepted a config that disagrees with the weights";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config.json"), std::string::npos) << e.what();
  }
}

TEST(Umt5Loading, MissingTensorNamesTheKeyAndFile) {
  Tensors tensors = read_all(test::golden_dir() + "/" + kHfFile);
  const std::string key = "encoder.block.1.layer.1.DenseReluDense.wi_1.weight";
  tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [&](const auto& t) { return t.first == key; }),
                tensors.end());
  const std::string path = write_temp(tensors);
  const std::string message = load_error(path);
  EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
}

TEST(Umt5Loading, MisShapedTensorNamesTheKeyAndFile) {
  Tensors tensors = read_all(test::golden_dir() + "/umt5_tiny.original.safetensors");
  const std::string key = "blocks.2.pos_embedding.embedding.weight";
  for (auto& [name, t] : tensors) {
    if (name == key) t = at::zeros({16, 4});
  }
  const std::string path = write_temp(tensors);
  const std::string message = load_error(path);
  EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << message;
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("[16, 4]"), std::string::npos) << message;
}

TEST(Umt5Loading, IntegerWeightIsAnError) {
  Tensors tensors = read_all(test::golden_dir() + "/" + kHfFile);
  for (auto& [name, t] : tensors) {
    if (name == "encoder.final_layer_norm.weight") t = t.to(at::kInt);
  }
  const std::string message = load_error(write_temp(tensors));
  EXPECT_NE(message.find("encoder.final_layer_norm.weight"), std::string::npos) << message;
}

TEST(Umt5Loading, AcceptsEmbedTokensInsteadOfShared) {
  Tensors tensors = read_all(test::golden_dir() + "/" + kHfFile);
  for (auto& [name, t] : tensors) {
    if (name == "shared.weight") name = "encoder.embed_tokens.weight";
  }
  const auto renamed = text::UMT5Encoder::load(io::Checkpoint::open(write_temp(tensors)));
  const auto golden = text::UMT5Encoder::load(io::Checkpoint::open(test::golden_dir() + "/" + kHfFile));
  EXPECT_TRUE(run_golden_input(*renamed).equal(run_golden_input(*golden)));
}

TEST(Umt5Forward, RejectsBadInputsWithReadableErrors) {
  const auto encoder = text::UMT5Encoder::load(io::Checkpoint::open(test::golden_dir() + "/" + kHfFile));
  const at::Tensor ids = at::ones({1, 4}, at::kLong);
  EXPECT_THROW(encoder->forward(ids.to(at::kFloat), at::ones({1, 4})), Error);
  EXPECT_THROW(encoder->forward(ids, at::ones({1, 5})), Error);
  try {
    encoder->forward(ids * 1000, at::ones({1, 4}));
    FAIL() << "accepted an id outside the vocabulary";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("1000"), std::string::npos) << e.what();
  }
}

TEST(Umt5Loading, RejectsUnsupportedDtype) {
  text::TextLoadOptions opts;
  opts.dtype = at::kDouble;
  EXPECT_THROW(text::UMT5Encoder::load(io::Checkpoint::open(test::golden_dir() + "/" + kHfFile), opts), Error);
}
