// libFuzzer entry for the tokenizer loader (core/text/sentencepiece_model, issue 18): the input is a
// spiece.model followed by a prompt whose length is the input's last byte. The model must load and
// encode, or throw linvideo::Error; anything else (a crash, a read outside a buffer, undefined
// behaviour, another exception) is a finding.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/text/sentencepiece_model.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t text_len = std::min<std::size_t>(data[size - 1], size - 1);
  const std::string_view all(reinterpret_cast<const char*>(data), size - 1);
  const std::string_view model = all.substr(0, all.size() - text_len);
  const std::string_view text = all.substr(all.size() - text_len);
  try {
    const auto m = linvideo::text::SentencePieceModel::parse(model, "fuzz.model");
    (void)m.encode(text);
    (void)m.encode("  a cat \xEF\xBD\x86\xEF\xAC\x81 \xE4\xB8\xAD\xFF\xC3 ");
    (void)m.encode_pieces(text);
  } catch (const linvideo::Error&) {
  }
  return 0;
}
