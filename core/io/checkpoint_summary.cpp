#include "core/io/checkpoint_summary.h"

#include "core/error.h"
#include "core/io/checkpoint.h"
#include "core/io/torch_pickle.h"

namespace linvideo::io {

CheckpointSummary summarize_checkpoint(const std::string& path) {
  const Checkpoint ckpt = Checkpoint::open(path);
  CheckpointSummary s;
  s.files = ckpt.files();
  for (const auto& key : ckpt.keys()) {
    const TensorEntry& e = ckpt.entry(key);
    DTypeUsage& u = s.dtypes[dtype_name(e.dtype)];
    ++u.tensors;
    u.parameters += e.numel();
    u.bytes += e.nbytes();
    ++s.tensor_count;
    s.parameter_count += e.numel();
    s.stored_bytes += e.nbytes();
  }
  if (s.files.size() == 1 && !is_torch_pickle_path(s.files.front())) {
    s.metadata = SafetensorsFile(s.files.front()).header().metadata;
  }
  try {
    const DitKeyMap keys = detect_dit_dialect(ckpt.keys(), ckpt.source());
    s.dit = model::detect_dit_config(ckpt, keys);
    s.dialect = keys;
    for (const auto& key : ckpt.keys()) {
      if (!keys.to_internal(key).empty()) ++s.dit_tensor_count;
    }
  } catch (const Error& e) {
    s.dialect.reset();
    s.dit.reset();
    s.not_a_dit_reason = e.what();
  }
  return s;
}

}  // namespace linvideo::io
