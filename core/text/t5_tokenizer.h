#pragma once
// The T5 / umT5 tokenizer: a SentencePiece model (`spiece.model`) with T5's conventions: no BOS,
// EOS appended, padded with the pad id to a fixed length (Wan: 512) with an attention mask.
// The model is read and applied by core/text/sentencepiece_model.h (no libsentencepiece).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace linvideo::text {

struct TokenizedPrompts {
  at::Tensor ids;                     // [B, max_length] int64, padded with pad_id
  at::Tensor mask;                    // [B, max_length] int64, 1 for tokens (incl. EOS), 0 for padding
  std::vector<std::int64_t> lengths;  // true length per prompt, EOS included
};

class T5Tokenizer {
 public:
  // Loads a SentencePiece model file; a missing or corrupt file is an Error naming it.
  explicit T5Tokenizer(const std::string& model_path);
  ~T5Tokenizer();
  T5Tokenizer(T5Tokenizer&&) noexcept;
  T5Tokenizer& operator=(T5Tokenizer&&) noexcept;

  const std::string& path() const { return path_; }
  std::int64_t vocab_size() const;
  // From the model when it defines them, else T5's defaults (pad 0, EOS 1).
  std::int64_t pad_id() const { return pad_id_; }
  std::int64_t eos_id() const { return eos_id_; }

  // The SentencePiece ids of `text` as given: no clean-up, no EOS.
  std::vector<std::int64_t> encode_raw(const std::string& text) const;
  // Cleaned (clean_prompt), encoded, cut to max_length - 1 pieces and EOS appended.
  std::vector<std::int64_t> encode(const std::string& prompt, std::int64_t max_length) const;
  // Every prompt as encode(), padded to max_length.
  TokenizedPrompts encode_batch(const std::vector<std::string>& prompts, std::int64_t max_length) const;

 private:
  struct Processor;
  std::unique_ptr<Processor> processor_;
  std::string path_;
  std::int64_t pad_id_ = 0;
  std::int64_t eos_id_ = 1;
};

}  // namespace linvideo::text
