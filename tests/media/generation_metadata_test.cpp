// Generation settings <-> container tags.
#include "core/media/generation_metadata.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace linvideo::media {
namespace {

GenerationSettings sample_settings() {
  GenerationSettings s;
  s.prompt = "a cat surfing a wave, \"golden hour\"";
  s.negative_prompt = "blurry, low quality";
  s.seed = 1234567890123LL;
  s.steps = 30;
  s.guidance = 5.5;
  s.shift = 3.0;
  s.sampler = "unipc (diffusers grid)";
  s.solver = "unipc";
  s.grid = "diffusers";
  s.model = "Wan2.1-T2V-1.3B";
  s.attention_modes = {"softmax", "linear", "mixed", "linear"};
  return s;
}

TEST(MediaGenerationMetadata, TagsAreReadableAndRoundTrip) {
  const GenerationSettings s = sample_settings();
  const VideoMetadata metadata = generation_metadata(s);
  EXPECT_EQ(metadata.tags.at("prompt"), s.prompt);
  EXPECT_EQ(metadata.tags.at("comment"), s.prompt);
  EXPECT_EQ(metadata.tags.at("seed"), "1234567890123");
  EXPECT_EQ(metadata.tags.at("guidance"), "5.5");
  EXPECT_EQ(metadata.tags.at("attention_modes"), "softmax,linear,mixed,linear");

  const GenerationSettings back = generation_settings_from_metadata(metadata, "clip.mp4");
  EXPECT_EQ(back.prompt, s.prompt);
  EXPECT_EQ(back.negative_prompt, s.negative_prompt);
  EXPECT_EQ(back.seed, s.seed);
  EXPECT_EQ(back.steps, s.steps);
  EXPECT_DOUBLE_EQ(back.guidance, s.guidance);
  EXPECT_DOUBLE_EQ(back.shift, s.shift);
  EXPECT_EQ(back.sampler, s.sampler);
  EXPECT_EQ(back.solver, "unipc");
  EXPECT_EQ(back.grid, "diffusers");
  EXPECT_EQ(back.model, s.model);
  EXPECT_EQ(back.attention_modes, s.attention_modes);
  EXPECT_EQ(back.student, "");
  EXPECT_EQ(metadata.tags.count("student"), 0u);  // no file applied: no tag
}

TEST(MediaGenerationMetadata, TheStudentFileRoundTrips) {
  GenerationSettings s = sample_settings();
  s.student = "/runs/dmd4/student.safetensors";
  const VideoMetadata metadata = generation_metadata(s);
  EXPECT_EQ(metadata.tags.at("student"), s.student);
  EXPECT_EQ(generation_settings_from_metadata(metadata, "clip.mp4").student, s.student);
}

TEST(MediaGenerationMetadata, MissingOrMalformedBlobNamesTheFile) {
  VideoMetadata metadata;
  EXPECT_THROW(generation_settings_from_metadata(metadata, "clip.mp4"), Error);
  metadata.tags["linvideo"] = "{not json";
  try {
    generation_settings_from_metadata(metadata, "clip.mp4");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("clip.mp4"), std::string::npos);
  }
  metadata.tags["linvideo"] = R"({"seed": "not a number"})";
  EXPECT_THROW(generation_settings_from_metadata(metadata, "clip.mp4"), Error);
}

// The error for a tag, or "" when it reads.
std::string tag_error(const std::string& blob) {
  VideoMetadata metadata;
  metadata.tags["linvideo"] = blob;
  try {
    generation_settings_from_metadata(metadata, "clip.mp4");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(MediaGenerationMetadata, EveryFieldIsCheckedAndTheErrorNamesIt) {
  const std::string ok = tag_error(R"({"prompt": "a", "steps": 4, "seed": -3, "attention_modes": ["linear"]})");
  EXPECT_EQ(ok, "");
  struct Case {
    const char* blob;
    const char* field;
  };
  for (const Case& c : {Case{R"({"prompt": 5})", "'prompt'"}, Case{R"({"negative_prompt": []})", "'negative_prompt'"},
                        Case{R"({"seed": 1.5})", "'seed'"}, Case{R"({"seed": 18446744073709551615})", "'seed'"},
                        Case{R"({"steps": 1e20})", "'steps'"}, Case{R"({"steps": -1})", "'steps'"},
                        Case{R"({"steps": 100001})", "'steps'"}, Case{R"({"guidance": "high"})", "'guidance'"},
                        Case{R"({"shift": 1e300})", "'shift'"}, Case{R"({"sampler": {"a": 1}})", "'sampler'"},
                        Case{R"({"model": false})", "'model'"}, Case{R"({"student": 7})", "'student'"},
                        Case{R"({"attention_modes": "linear"})", "'attention_modes'"},
                        Case{R"({"attention_modes": ["linear", 3]})", "entry 1"},
                        Case{R"({"attention_modes": ["softmax", "cosine"]})", "entry 1"},
                        Case{R"({"solver": "dpm"})", "'solver'"}, Case{R"({"grid": 3})", "'grid'"},
                        Case{R"({"grid": "karras"})", "'grid'"}}) {
    const std::string e = tag_error(c.blob);
    EXPECT_NE(e.find("clip.mp4"), std::string::npos) << c.blob << " -> " << e;
    EXPECT_NE(e.find(c.field), std::string::npos) << c.blob << " -> " << e;
  }
  // Not an object, not JSON: the file is named.
  for (const char* blob : {"[1, 2]", "42", "\"text\"", "{\"prompt\": ", ""}) {
    const std::string e = tag_error(blob);
    EXPECT_NE(e.find("clip.mp4: 'linvideo' tag"), std::string::npos) << blob << " -> " << e;
  }
  // Null keeps the default.
  EXPECT_EQ(tag_error(R"({"prompt": null, "steps": null, "attention_modes": null})"), "");
}

}  // namespace
}  // namespace linvideo::media
