#pragma once
// State dicts saved by Python's torch.save (the zip format of torch >= 1.6): the original Wan
// release ships its T5 encoder and VAE this way (`*.pth`).
#include <ATen/core/Tensor.h>

#include <string>
#include <utility>
#include <vector>

namespace linvideo::io {

bool is_torch_pickle_path(const std::string& path);  // .pth / .pt / .ckpt / .bin

// Loads every tensor of the (possibly nested) dict, keys joined with '.'. The whole file is read
// into memory: for repeated use convert it once with `linvideo convert`. Throws linvideo::Error.
std::vector<std::pair<std::string, at::Tensor>> load_torch_state_dict(const std::string& path);

}  // namespace linvideo::io
