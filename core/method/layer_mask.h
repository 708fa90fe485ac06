#pragma once
// A layer mask: which self-attention layers are linear. One JSON format for the command-line tool
// (`--linear mask.json`) and the studio (Layers > Save/Load mask):
//   {"format": "linvideo-layer-mask", "num_layers": 30, "linear": [2, 3, 4, ...]}   (1-based)
// The plain text form "2-8,10-13" is accepted wherever a mask is.
#include <string>
#include <vector>

namespace linvideo::method {

struct LayerMask {
  int num_layers = 0;
  std::vector<int> linear;  // 1-based, sorted, unique
};

// Parses `text_or_file`: a path ending in .json is read as a mask file, anything else is a layer
// list ("2-8,10-13"). Errors name the file (or `option`) and say what is wrong.
LayerMask read_layer_mask(const std::string& text_or_file, int num_layers, const std::string& option);
// The same on a mask file's text; `label` (the path) starts every error.
LayerMask parse_layer_mask(const std::string& json_text, int num_layers, const std::string& label);
// "2-8,10-13,30" -> {2,...,8,10,...,13,30} (1-based); Error naming the option on bad input.
std::vector<int> parse_layer_list(const std::string& text, int num_layers, const std::string& option);
// Writes the mask atomically (temp file + rename).
void write_layer_mask(const std::string& path, const LayerMask& mask);
// "1-4,7" for {1,2,3,4,7}; "" for none.
std::string format_layer_list(const std::vector<int>& layers);

}  // namespace linvideo::method
