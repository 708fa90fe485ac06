// libFuzzer entry for the JSON readers of model and run folders (issue 18): the first byte picks the
// reader, the rest is the file's text. Each must return a validated value or throw
// linvideo::Error; nlohmann's own exceptions, a crash or undefined behaviour are findings.
//   0 model_index.json   1 progress.json   2 a trajectory cache's index.json   3 a sidecar manifest
//   4 a VAE config.json  5 a umT5 config.json  6 a layer mask file  7 a layer list ("2-8,10-13")
// What the config parsers accept is used at once, as the engine would (strides, parameter counts),
// so an accepted value that overflows is a finding too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/method/cache_index.h"
#include "core/method/layer_mask.h"
#include "core/method/sidecar_manifest.h"
#include "core/pipeline/model_index.h"
#include "core/model/vae_config.h"
#include "core/text/umt5_config.h"
#include "core/train/progress_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 8) {
      case 0: (void)linvideo::pipeline::parse_model_index(text, "model_index.json"); break;
      case 1: (void)linvideo::train::parse_progress(text, "progress.json"); break;
      case 2: (void)linvideo::method::parse_cache_index(text, "index.json"); break;
      case 3: (void)linvideo::method::parse_sidecar_manifest(text, "x.linvideo.safetensors"); break;
      case 4: {
        const linvideo::model::VaeConfig c = linvideo::model::parse_vae_config(text, "vae/config.json");
        volatile std::int64_t strides = c.spatial_stride() * c.temporal_stride() * c.base_dim * c.dim_mult.back();
        (void)strides;
        break;
      }
      case 5: {
        const linvideo::text::UMT5Config c = linvideo::text::parse_umt5_config(text, "text_encoder/config.json");
        volatile std::int64_t n = c.parameter_count();
        (void)n;
        break;
      }
      case 6: (void)linvideo::method::parse_layer_mask(text, 30, "mask.json"); break;
      default: (void)linvideo::method::parse_layer_list(text, 30, "--linear"); break;
    }
  } catch (const linvideo::Error&) {
  }
  return 0;
}
