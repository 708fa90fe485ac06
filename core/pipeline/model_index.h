#pragma once
// A model folder's model_index.json, as LinVideo reads it: the optional `defaults` object (each
// field typed and ranged) and `linvideo_model`, the world an embedded model was trained on.
// Plain C++ and nlohmann, no LibTorch (fuzzed by tests/fuzz/fuzz_json_readers.cpp).
#include <cstdint>
#include <optional>
#include <string>

namespace linvideo::pipeline {

struct ModelIndex {
  // Each absent when the file does not set it.
  std::optional<std::int64_t> steps, frames, height, width;
  std::optional<double> guidance, shift;
  std::optional<std::string> negative_prompt;
  std::string world;  // "linvideo_model" ("shapes" for the embedded model), or empty
};

// Parses the text of a model_index.json; `label` (the file) starts every error.
ModelIndex parse_model_index(const std::string& text, const std::string& label);

}  // namespace linvideo::pipeline
