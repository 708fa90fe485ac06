#include "core/text/umt5_keys.h"

#include <algorithm>
#include <utility>

#include "core/error.h"

namespace linvideo::text {

namespace {

// Per-block names: original Wan T5 suffix -> transformers suffix (after "encoder.block.{i}.").
const std::pair<const char*, const char*> kBlockNames[] = {
    {"attn.q.weight", "layer.0.SelfAttention.q.weight"},
    {"attn.k.weight", "layer.0.SelfAttention.k.weight"},
    {"attn.v.weight", "layer.0.SelfAttention.v.weight"},
    {"attn.o.weight", "layer.0.SelfAttention.o.weight"},
    {"pos_embedding.embedding.weight", "layer.0.SelfAttention.relative_attention_bias.weight"},
    {"norm1.weight", "layer.0.layer_norm.weight"},
    {"norm2.weight", "layer.1.layer_norm.weight"},
    {"ffn.gate.0.weight", "layer.1.DenseReluDense.wi_0.weight"},  // the GELU branch
    {"ffn.fc1.weight", "layer.1.DenseReluDense.wi_1.weight"},     // the linear branch
    {"ffn.fc2.weight", "layer.1.DenseReluDense.wo.weight"},
};
const char* const kTransformersFinalNorm = "encoder.final_layer_norm.weight";
const char* const kTransformersEmbeddings[] = {"shared.weight", "encoder.embed_tokens.weight"};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Prefix before `marker` for the first key ending in it, or false if none does.
bool find_prefix(const std::vector<std::string>& keys, const std::string& marker, std::string* prefix) {
  for (const auto& k : keys) {
    if (ends_with(k, marker) && (k.size() == marker.size() || k[k.size() - marker.size() - 1] == '.')) {
      *prefix = k.substr(0, k.size() - marker.size());
      return true;
    }
  }
  return false;
}

}  // namespace

const char* layout_name(UMT5Layout layout) {
  return layout == UMT5Layout::Original ? "original Wan T5" : "transformers UMT5EncoderModel";
}

std::string UMT5KeyMap::to_stored(const std::string& internal) const {
  if (layout == UMT5Layout::Original) return prefix + internal;
  if (internal == "token_embedding.weight") return prefix + embedding;
  if (internal == "norm.weight") return prefix + kTransformersFinalNorm;
  const std::string blocks = "blocks.";
  if (internal.compare(0, blocks.size(), blocks) == 0) {
    const auto dot = internal.find('.', blocks.size());
    if (dot != std::string::npos) {
      const std::string index = internal.substr(blocks.size(), dot - blocks.size());
      const std::string rest = internal.substr(dot + 1);
      for (const auto& [original, transformers] : kBlockNames) {
        if (rest == original) return prefix + "encoder.block." + index + "." + transformers;
      }
    }
  }
  throw Error("umT5: no transformers name for internal key '" + internal + "'");
}

UMT5KeyMap detect_umt5_layout(const std::vector<std::string>& keys, const std::string& label) {
  UMT5KeyMap map;
  if (find_prefix(keys, kTransformersFinalNorm, &map.prefix)) {
    map.layout = UMT5Layout::Transformers;
    for (const char* name : kTransformersEmbeddings) {
      if (std::find(keys.begin(), keys.end(), map.prefix + name) != keys.end()) {
        map.embedding = name;
        return map;
      }
    }
    throw Error(label + ": missing tensor '" + map.prefix + kTransformersEmbeddings[0] + "' (or '" +
                map.prefix + kTransformersEmbeddings[1] + "')");
  }
  if (find_prefix(keys, "token_embedding.weight", &map.prefix)) {
    map.layout = UMT5Layout::Original;
    map.embedding = "token_embedding.weight";
    return map;
  }
  throw Error(label + ": not a umT5 encoder checkpoint (neither '" + kTransformersFinalNorm +
              "' nor 'token_embedding.weight' found)");
}

}  // namespace linvideo::text
