#pragma once
// A trajectory cache's index.json: the teacher's sampling settings and one entry per shard. Plain
// C++ and nlohmann, no LibTorch (fuzzed by tests/fuzz/fuzz_json_readers.cpp); building and reading
// the shards is trajectory_cache.h.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace linvideo::method {

struct CacheShardEntry {
  std::int64_t job = 0;  // prompt index x seeds + seed offset
  std::string file;      // a plain name inside the cache folder
  std::string prompt;
  std::int64_t states = 0, bytes = 0;
};

struct CacheIndex {
  nlohmann::json json;  // the whole index, validated (rewritten as shards are added)
  std::vector<CacheShardEntry> shards;
  bool has_settings = false;
  double guidance = 1.0;  // the CFG scale the teacher sampled with
  std::int64_t steps = 0;
  std::string digest;  // of the settings and the shard list (cache_index_digest)
};

// An empty index of the current format.
nlohmann::json empty_cache_index();
// Parses and validates the text of an index.json; `label` (the file) starts every error.
CacheIndex parse_cache_index(const std::string& text, const std::string& label);
// FNV-1a 64 over the canonical dump of the settings and the shard list, as 16 hex digits.
std::string cache_index_digest(const nlohmann::json& index);

}  // namespace linvideo::method
