// libFuzzer entry for the JSON readers of model and run folders (issue 18): the first byte picks the
// reader, the rest is the file's text. Each must return a validated value or throw
// linvideo::Error; nlohmann's own exceptions, a crash or undefined behaviour are findings.
//   0 model_index.json   1 progress.json   2 a trajectory cache's index.json   3 a sidecar manifest
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/linvideo/cache_index.h"
#include "core/linvideo/sidecar_manifest.h"
#include "core/pipeline/model_index.h"
#include "core/train/progress_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: (void)linvideo::pipeline::parse_model_index(text, "model_index.json"); break;
      case 1: (void)linvideo::train::parse_progress(text, "progress.json"); break;
      case 2: (void)linvideo::linvideo_method::parse_cache_index(text, "index.json"); break;
      default: (void)linvideo::linvideo_method::parse_sidecar_manifest(text, "x.linvideo.safetensors"); break;
    }
  } catch (const linvideo::Error&) {
  }
  return 0;
}
