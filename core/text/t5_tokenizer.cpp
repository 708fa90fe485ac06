#include "core/text/t5_tokenizer.h"

#include <ATen/ATen.h>

#include <filesystem>

#include "core/error.h"
#include "core/text/prompt_cleanup.h"
#include "core/text/sentencepiece_model.h"

namespace linvideo::text {

struct T5Tokenizer::Processor {
  SentencePieceModel model;
};

T5Tokenizer::T5Tokenizer(const std::string& model_path) : path_(model_path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model_path, ec)) {
    throw Error(model_path + ": tokenizer model not found");
  }
  processor_ = std::make_unique<Processor>(Processor{SentencePieceModel::load(model_path)});
  if (processor_->model.pad_id() >= 0) pad_id_ = processor_->model.pad_id();
  if (processor_->model.eos_id() >= 0) eos_id_ = processor_->model.eos_id();
}

T5Tokenizer::~T5Tokenizer() = default;
T5Tokenizer::T5Tokenizer(T5Tokenizer&&) noexcept = default;
T5Tokenizer& T5Tokenizer::operator=(T5Tokenizer&&) noexcept = default;

std::int64_t T5Tokenizer::vocab_size() const { return processor_->model.vocab_size(); }

std::vector<std::int64_t> T5Tokenizer::encode_raw(const std::string& text) const {
  const std::vector<int> ids = processor_->model.encode(text);
  return {ids.begin(), ids.end()};
}

std::vector<std::int64_t> T5Tokenizer::encode(const std::string& prompt, std::int64_t max_length) const {
  if (max_length < 1) throw Error("tokenizer max_length must be at least 1, got " + std::to_string(max_length));
  std::vector<std::int64_t> ids = encode_raw(clean_prompt(prompt));
  // Truncation keeps room for EOS, which always ends the sequence (add_special_tokens=True).
  if (static_cast<std::int64_t>(ids.size()) > max_length - 1) ids.resize(static_cast<std::size_t>(max_length - 1));
  ids.push_back(eos_id_);
  return ids;
}

TokenizedPrompts T5Tokenizer::encode_batch(const std::vector<std::string>& prompts,
                                           std::int64_t max_length) const {
  const auto batch = static_cast<std::int64_t>(prompts.size());
  TokenizedPrompts out;
  out.ids = at::full({batch, max_length}, pad_id_, at::TensorOptions().dtype(at::kLong));
  out.mask = at::zeros({batch, max_length}, at::TensorOptions().dtype(at::kLong));
  auto ids = out.ids.accessor<std::int64_t, 2>();
  auto mask = out.mask.accessor<std::int64_t, 2>();
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::vector<std::int64_t> tokens = encode(prompts[static_cast<std::size_t>(b)], max_length);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      ids[b][static_cast<std::int64_t>(i)] = tokens[i];
      mask[b][static_cast<std::int64_t>(i)] = 1;
    }
    out.lengths.push_back(static_cast<std::int64_t>(tokens.size()));
  }
  return out;
}

}  // namespace linvideo::text
