#include "core/text/t5_tokenizer.h"

#include <ATen/ATen.h>
#include <dlfcn.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "core/text/prompt_cleanup.h"
#include "core/text/spm_shim.h"

namespace linvideo::text {
namespace {

// The shim's entry points, resolved once (see spm_shim.h for why sentencepiece is isolated).
struct SpmApi {
  decltype(&lv_spm_load) load = nullptr;
  decltype(&lv_spm_free) free = nullptr;
  decltype(&lv_spm_vocab_size) vocab_size = nullptr;
  decltype(&lv_spm_pad_id) pad_id = nullptr;
  decltype(&lv_spm_eos_id) eos_id = nullptr;
  decltype(&lv_spm_encode) encode = nullptr;
};

std::string executable_dir() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec).parent_path().string();
}

const SpmApi& spm_api() {
  static SpmApi api;
  static std::string error;
  static std::once_flag once;
  std::call_once(once, [] {
    const char* env = std::getenv("LINVIDEO_SPM_MODULE");
    std::vector<std::string> candidates;
    if (env && *env) candidates.push_back(env);
    candidates.push_back(LINVIDEO_SPM_MODULE_PATH);  // the build tree
    candidates.push_back(executable_dir() + "/liblinvideo_spm.so");
    candidates.push_back(executable_dir() + "/../lib/liblinvideo_spm.so");
    void* handle = nullptr;
    for (const auto& c : candidates) {
      handle = ::dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
      if (handle) break;
      error = c + ": " + ::dlerror();
    }
    if (!handle) return;
    api.load = reinterpret_cast<decltype(api.load)>(::dlsym(handle, "lv_spm_load"));
    api.free = reinterpret_cast<decltype(api.free)>(::dlsym(handle, "lv_spm_free"));
    api.vocab_size = reinterpret_cast<decltype(api.vocab_size)>(::dlsym(handle, "lv_spm_vocab_size"));
    api.pad_id = reinterpret_cast<decltype(api.pad_id)>(::dlsym(handle, "lv_spm_pad_id"));
    api.eos_id = reinterpret_cast<decltype(api.eos_id)>(::dlsym(handle, "lv_spm_eos_id"));
    api.encode = reinterpret_cast<decltype(api.encode)>(::dlsym(handle, "lv_spm_encode"));
  });
  if (!api.load || !api.encode) {
    throw Error("sentencepiece shim module not loadable (" + error + "); set LINVIDEO_SPM_MODULE");
  }
  return api;
}

}  // namespace

struct T5Tokenizer::Processor {
  void* handle = nullptr;
  ~Processor() {
    if (handle) spm_api().free(handle);
  }
};

T5Tokenizer::T5Tokenizer(const std::string& model_path)
    : processor_(std::make_unique<Processor>()), path_(model_path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model_path, ec)) {
    throw Error(model_path + ": tokenizer model not found");
  }
  const SpmApi& api = spm_api();
  char err[512] = {0};
  processor_->handle = api.load(model_path.c_str(), err, sizeof err);
  if (!processor_->handle) {
    throw Error(model_path + ": not a valid SentencePiece model (" + err + ")");
  }
  if (api.pad_id(processor_->handle) >= 0) pad_id_ = api.pad_id(processor_->handle);
  if (api.eos_id(processor_->handle) >= 0) eos_id_ = api.eos_id(processor_->handle);
}

T5Tokenizer::~T5Tokenizer() = default;
T5Tokenizer::T5Tokenizer(T5Tokenizer&&) noexcept = default;
T5Tokenizer& T5Tokenizer::operator=(T5Tokenizer&&) noexcept = default;

std::int64_t T5Tokenizer::vocab_size() const { return spm_api().vocab_size(processor_->handle); }

std::vector<std::int64_t> T5Tokenizer::encode_raw(const std::string& text) const {
  const SpmApi& api = spm_api();
  char err[512] = {0};
  std::vector<std::int32_t> pieces(text.size() + 16);
  int n = api.encode(processor_->handle, text.c_str(), pieces.data(), static_cast<int>(pieces.size()), err, sizeof err);
  if (n > static_cast<int>(pieces.size())) {
    pieces.resize(static_cast<std::size_t>(n));
    n = api.encode(processor_->handle, text.c_str(), pieces.data(), n, err, sizeof err);
  }
  if (n < 0) throw Error(path_ + ": cannot tokenize prompt (" + err + ")");
  return {pieces.begin(), pieces.begin() + n};
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
