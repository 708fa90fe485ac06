// libFuzzer entry for the torch.save reader (core/io/format/torch_archive): any byte string is a
// candidate archive. The parser must return or throw linvideo::Error (never crash, read out of
// bounds, hang or grow without bound), and what it accepts must be self-consistent: every tensor's
// storage is listed, lies inside the file and holds every element the tensor addresses.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/error.h"
#include "core/io/format/torch_archive.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace linvideo::io;
  try {
    const TorchArchive a = parse_torch_archive(data, size, "fuzz.pth");
    for (const TorchTensorRecord& t : a.tensors) {
      const auto it = a.storages.find(t.storage);
      if (it == a.storages.end()) std::abort();
      const TorchStorageRecord& s = it->second;
      if (s.bytes.offset > size || size - s.bytes.offset < s.bytes.size) std::abort();
      if (s.bytes.size != static_cast<std::uint64_t>(s.numel) * dtype_size(s.dtype) || s.dtype != t.dtype) std::abort();
      if (t.sizes.size() != t.strides.size()) std::abort();
      bool empty = false;
      std::int64_t last = t.storage_offset;
      for (std::size_t d = 0; d < t.sizes.size(); ++d) {
        if (t.sizes[d] == 0) empty = true;
        if (t.sizes[d] > 0) last += (t.sizes[d] - 1) * t.strides[d];
      }
      if (!empty && (t.storage_offset < 0 || last >= s.numel)) std::abort();
    }
  } catch (const linvideo::Error&) {
  }
  return 0;
}
