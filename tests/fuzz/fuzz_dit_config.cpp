// libFuzzer entry for the DiT config.json parser (core/model/dit_config, issue 18): any byte string
// as a model folder's config.json. It must give a validated config or throw linvideo::Error; any
// other exception, a crash or undefined behaviour (UBSan: a float converted out of range) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/model/dit_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto c = linvideo::model::parse_dit_config(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    (void)c.parameter_count();
    (void)c.summary();
  } catch (const linvideo::Error&) {
  }
  return 0;
}
