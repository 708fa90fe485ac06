// The only file that includes sentencepiece; built as the dlopen'ed module liblinvideo_spm.so.
#include "core/text/spm_shim.h"

#include <sentencepiece_processor.h>

#include <cstring>
#include <string>
#include <vector>

namespace {
void copy_error(const std::string& msg, char* err, int err_len) {
  if (!err || err_len <= 0) return;
  std::strncpy(err, msg.c_str(), static_cast<std::size_t>(err_len - 1));
  err[err_len - 1] = '\0';
}
}  // namespace

extern "C" {

__attribute__((visibility("default"))) void* lv_spm_load(const char* model_path, char* err, int err_len) {
  auto* sp = new sentencepiece::SentencePieceProcessor();
  const auto status = sp->Load(model_path);
  if (!status.ok()) {
    copy_error(status.ToString(), err, err_len);
    delete sp;
    return nullptr;
  }
  return sp;
}

__attribute__((visibility("default"))) void lv_spm_free(void* handle) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(handle);
}

__attribute__((visibility("default"))) int lv_spm_vocab_size(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->GetPieceSize();
}
__attribute__((visibility("default"))) int lv_spm_pad_id(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->pad_id();
}
__attribute__((visibility("default"))) int lv_spm_eos_id(void* handle) {
  return static_cast<sentencepiece::SentencePieceProcessor*>(handle)->eos_id();
}

__attribute__((visibility("default"))) int lv_spm_encode(void* handle, const char* text, int32_t* ids, int capacity,
                                                         char* err, int err_len) {
  std::vector<int> pieces;
  const auto status = static_cast<sentencepiece::SentencePieceProcessor*>(handle)->Encode(text, &pieces);
  if (!status.ok()) {
    copy_error(status.ToString(), err, err_len);
    return -1;
  }
  for (std::size_t i = 0; i < pieces.size() && static_cast<int>(i) < capacity; ++i) ids[i] = pieces[i];
  return static_cast<int>(pieces.size());
}

}  // extern "C"
