// libFuzzer entry for the torch.save depth scan (core/io/pickle_scan): any byte string is a
// candidate archive, and also a bare pickle program. The scan must return (never crash, read out of
// bounds or hang); when it accepts a bare program, replaying it must stay within the bound.
#include <cstddef>
#include <cstdint>

#include "core/io/pickle_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)linvideo::io::pickle_depth_problem(reinterpret_cast<const char*>(data), size, 64);
  (void)linvideo::io::pickle_program_depth_problem(data, size, 64);
  return 0;
}
