#pragma once
// Checkpoint layouts of the umT5 encoder, mapped to one internal naming (the original Wan T5 key
// names). This is the only place that knows how the layouts spell their weights.
#include <string>
#include <vector>

namespace linvideo::text {

enum class UMT5Layout {
  Original,      // Wan's T5: token_embedding, blocks.{i}.attn.q, ..., norm
  Transformers,  // transformers UMT5EncoderModel: shared / encoder.embed_tokens, encoder.block...
};

const char* layout_name(UMT5Layout layout);

struct UMT5KeyMap {
  UMT5Layout layout = UMT5Layout::Original;
  std::string prefix;     // stripped from every stored key (e.g. "text_encoder.")
  std::string embedding;  // stored name of the token embedding (transformers has two spellings)

  // Stored name of an internal (original Wan) key in this layout.
  std::string to_stored(const std::string& internal) const;
};

// Detects the layout from the keys alone. `label` names the checkpoint in errors.
UMT5KeyMap detect_umt5_layout(const std::vector<std::string>& keys, const std::string& label);

}  // namespace linvideo::text
