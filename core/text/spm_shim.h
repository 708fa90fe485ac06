#pragma once
// C interface of the sentencepiece shim module (liblinvideo_spm.so).
//
// Why a separately loaded module: Debian's libsentencepiece bundles its own copy of protobuf-lite
// and exports those symbols; LibTorch links the system libprotobuf. In one global symbol scope the
// two copies bind to each other's functions and the process crashes during static
// initialisation. The tokenizer therefore loads sentencepiece through this shim with
// dlopen(RTLD_LOCAL | RTLD_DEEPBIND), so each side keeps its own protobuf.
#include <stdint.h>

extern "C" {
// Returns a handle, or null with a message in err.
void* lv_spm_load(const char* model_path, char* err, int err_len);
void lv_spm_free(void* handle);
int lv_spm_vocab_size(void* handle);
int lv_spm_pad_id(void* handle);
int lv_spm_eos_id(void* handle);
// Writes up to `capacity` ids; returns the number of ids (may exceed capacity: call again with
// more room), or -1 with a message in err.
int lv_spm_encode(void* handle, const char* text, int32_t* ids, int capacity, char* err, int err_len);
}
