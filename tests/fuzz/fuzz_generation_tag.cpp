// libFuzzer entry for the clip tag reader (core/media/generation_metadata, issue 18): any byte
// string as the `linvideo` tag of a clip. The reader must return settings or throw linvideo::Error;
// any other exception, a crash or undefined behaviour (UBSan) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/media/generation_metadata.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  linvideo::media::VideoMetadata metadata;
  metadata.tags[linvideo::media::kGenerationTag] = std::string(reinterpret_cast<const char*>(data), size);
  try {
    const auto s = linvideo::media::generation_settings_from_metadata(metadata, "fuzz.mp4");
    if (s.steps < 0 || s.attention_modes.size() > 4096) __builtin_trap();  // the checks must hold
  } catch (const linvideo::Error&) {
  }
  return 0;
}
