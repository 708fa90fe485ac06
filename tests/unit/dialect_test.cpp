#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/dit_dialect.h"
#include "core/io/safetensors.h"
#include "core/model/dit_config.h"
#include "core/model/vae_config.h"
#include "tests/support/test_support.h"

using namespace linvideo::io;
using linvideo::model::detect_dit_config;
using linvideo::test::golden_dir;

namespace {
std::vector<std::string> keys_of(const std::string& file) {
  return Checkpoint::open(golden_dir() + "/" + file).keys();
}
}  // namespace

TEST(Dialect, DiffusersAndOriginalNamesMapToTheSameInternalKeys) {
  // The golden files hold the same model under both namings, written by the reference tools.
  for (const std::string model : {"dit_tiny", "dit_small"}) {
    SCOPED_TRACE(model);
    const auto orig = keys_of(model + ".original.safetensors");
    const auto diff = keys_of(model + ".diffusers.safetensors");
    const DitKeyMap om = detect_dit_dialect(orig, "orig");
    const DitKeyMap dm = detect_dit_dialect(diff, "diff");
    EXPECT_EQ(om.dialect, DitDialect::Original);
    EXPECT_EQ(dm.dialect, DitDialect::Diffusers);
    std::vector<std::string> mapped;
    for (const auto& k : diff) {
      const std::string internal = dm.to_internal(k);
      EXPECT_FALSE(internal.empty()) << k;
      EXPECT_EQ(dm.to_stored(internal), k);  // the map is a bijection
      mapped.push_back(internal);
    }
    std::sort(mapped.begin(), mapped.end());
    EXPECT_EQ(mapped, orig);
  }
}

TEST(Dialect, CrossAttentionNormSwapIsHandled) {
  const DitKeyMap dm{DitDialect::Diffusers, ""};
  EXPECT_EQ(dm.to_internal("blocks.7.norm2.weight"), "blocks.7.norm3.weight");
  EXPECT_EQ(dm.to_internal("blocks.12.attn1.to_out.0.bias"), "blocks.12.self_attn.o.bias");
  EXPECT_EQ(dm.to_internal("scale_shift_table"), "head.modulation");
  EXPECT_EQ(dm.to_internal("blocks.0.scale_shift_table"), "blocks.0.modulation");
  EXPECT_EQ(dm.to_internal("some.other.weight"), "");
}

TEST(Dialect, DetectsComfyUIPrefixAndRejectsOtherModels) {
  std::vector<std::string> keys = {"model.diffusion_model.patch_embedding.weight",
                                   "model.diffusion_model.blocks.0.self_attn.q.weight",
                                   "first_stage_model.decoder.conv1.weight"};
  const DitKeyMap m = detect_dit_dialect(keys, "comfy.safetensors");
  EXPECT_EQ(m.dialect, DitDialect::ComfyUI);
  EXPECT_EQ(m.to_internal(keys[1]), "blocks.0.self_attn.q.weight");
  EXPECT_EQ(m.to_internal(keys[2]), "");
  EXPECT_EQ(m.to_stored("head.head.weight"), "model.diffusion_model.head.head.weight");
  try {
    detect_dit_dialect({"encoder.conv1.weight"}, "vae.safetensors");
    FAIL();
  } catch (const linvideo::Error& e) {
    EXPECT_NE(std::string(e.what()).find("vae.safetensors"), std::string::npos);
  }
}

TEST(Dialect, ConfigDetectedFromWeightsMatchesConfigFile) {
  for (const std::string model : {"dit_tiny", "dit_small"}) {
    for (const std::string layout : {"original", "diffusers"}) {
      SCOPED_TRACE(model + "." + layout);
      const Checkpoint c = Checkpoint::open(golden_dir() + "/" + model + "." + layout + ".safetensors");
      const auto detected = detect_dit_config(c, detect_dit_dialect(c.keys(), c.source())).config;
      const auto file = linvideo::model::load_dit_config(golden_dir() + "/" + model + ".config.json");
      EXPECT_EQ(detected.dim, file.dim);
      EXPECT_EQ(detected.num_layers, file.num_layers);
      EXPECT_EQ(detected.ffn_dim, file.ffn_dim);
      EXPECT_EQ(detected.in_dim, file.in_dim);
      EXPECT_EQ(detected.out_dim, file.out_dim);
      EXPECT_EQ(detected.text_dim, file.text_dim);
      EXPECT_EQ(detected.freq_dim, file.freq_dim);
      EXPECT_EQ(detected.patch, file.patch);
      // Parameter count derived from the config equals the elements actually stored.
      std::int64_t stored = 0;
      for (const auto& k : c.keys()) stored += static_cast<std::int64_t>(c.entry(k).numel());
      EXPECT_EQ(file.parameter_count(), stored);
    }
  }
}

TEST(Dialect, RealModelSizesGiveThePublishedParameterCounts) {
  linvideo::model::DitConfig small;  // defaults are the 1.3B
  EXPECT_EQ(small.parameter_count(), 1418996800);
  linvideo::model::DitConfig big;
  big.dim = 5120, big.ffn_dim = 13824, big.num_heads = 40, big.num_layers = 40;
  EXPECT_EQ(big.parameter_count(), 14288491584);
  EXPECT_EQ(big.family(), "Wan2.1 T2V-14B");
}

// Issue 18: legal but hostile shapes end in an error naming the tensor, never a crash (a zero patch
// size used to divide by zero: SIGFPE).
TEST(Dialect, HostileShapesGiveErrorsNamingTheTensor) {
  const Checkpoint good = Checkpoint::open(golden_dir() + "/dit_tiny.original.safetensors");
  int n = 0;
  auto rewrite = [&](const std::string& key, const at::Tensor& replacement) {
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& k : good.keys()) tensors.emplace_back(k, k == key ? replacement : good.tensor(k));
    const std::string path = linvideo::test::temp_dir() + "/hostile_dit_" + std::to_string(++n) + ".safetensors";
    write_safetensors(path, tensors);
    return Checkpoint::open(path);
  };
  const auto patch = good.tensor("patch_embedding.weight");
  const std::vector<std::pair<std::string, at::Tensor>> cases = {
      {"patch_embedding.weight", at::zeros({patch.size(0), patch.size(1), 0, 2, 2})},
      {"patch_embedding.weight", at::zeros({patch.size(0), patch.size(1), 1, 65, 1})},
      {"text_embedding.0.weight", at::zeros({16})},
      {"head.head.weight", at::zeros({7, good.tensor("head.head.weight").size(1)})},
  };
  for (const auto& [key, t] : cases) {
    SCOPED_TRACE(key + " " + std::to_string(t.dim()) + "-D");
    const Checkpoint c = rewrite(key, t);
    try {
      detect_dit_config(c, detect_dit_dialect(c.keys(), c.source()));
      FAIL() << "accepted";
    } catch (const linvideo::Error& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.source()), std::string::npos) << e.what();
    }
  }
}

// Issue 18: config values beyond any real model are refused before anything is allocated.
TEST(Dialect, HostileConfigValuesAreRefusedNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"dim": 128, "num_heads": 1, "text_len": 2e7})", "text_len"},
      {R"({"dim": 128, "num_heads": 1, "num_layers": 100000})", "num_layers"},
      {R"({"num_attention_heads": 1000000000, "attention_head_dim": 128})", "num_attention_heads"},
      {R"({"dim": 128, "num_heads": 1, "text_len": "long"})", "text_len"},
      // Floats far outside int64: converting them was undefined behaviour (fuzz_dit_config).
      {R"({"dim": 1.88889e22, "num_heads": 1})", "'dim'"},
      {R"({"dim": 128, "num_heads": 1, "patch_size": [1, 2.5e30, 2]})", "patch_size"},
      {R"({"dim": 128, "num_heads": 1, "num_layers": 18446744073709551615})", "num_layers"},
  };
  for (const auto& [text, field] : cases) {
    SCOPED_TRACE(text);
    try {
      linvideo::model::parse_dit_config(text, "hostile/config.json");
      FAIL() << "accepted";
    } catch (const linvideo::Error& e) {
      EXPECT_NE(std::string(e.what()).find("hostile/config.json"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
}

// Issue 18: the VAE config had no upper bounds (a dim_mult of 70 levels made spatial_stride() shift
// past 64 bits) and took a non-object "diffusers" part without a word.
TEST(VaeConfig, HostileValuesAreRefusedNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"base_dim": 1000000})", "base_dim"},
      {R"({"base_dim": 96, "z_dim": 4096})", "z_dim"},
      {R"({"base_dim": 96, "num_res_blocks": 1000})", "num_res_blocks"},
      {R"({"base_dim": 96, "dim_mult": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]})", "dim_mult"},
      {R"({"base_dim": 96, "dim_mult": [1, 2, 0, 4]})", "dim_mult"},
      {R"({"base_dim": 96, "dim_mult": [1, 2, 4, 4000]})", "dim_mult"},
      {R"({"base_dim": 96, "dim_mult": [1, 2.5]})", "dim_mult"},
      {R"({"base_dim": 96, "temperal_downsample": [false, "yes", true]})", "temperal_downsample"},
      {R"({"base_dim": 96, "z_dim": 2, "latents_mean": [0, 0], "latents_std": [1, 0]})", "latents_std"},
      {R"({"diffusers": 7})", "diffusers"},
      {R"({"base_dim": 1.5e300})", "base_dim"},
  };
  for (const auto& [text, field] : cases) {
    SCOPED_TRACE(text);
    try {
      linvideo::model::parse_vae_config(text, "hostile/vae.json");
      ADD_FAILURE() << "accepted";
    } catch (const linvideo::Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind("hostile/vae.json: ", 0), 0u) << e.what();
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  }
  const auto wan = linvideo::model::parse_vae_config(R"({"base_dim": 96, "z_dim": 16})", "wan.json");
  EXPECT_EQ(wan.spatial_stride(), 8);
  EXPECT_EQ(wan.temporal_stride(), 4);
}
