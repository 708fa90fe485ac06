#pragma once
// Tensor front of the fused linear-attention kernels (kernels/linear_attention.h): checks, workspace
// and autograd. Built only where LibTorch has CUDA (LINVIDEO_WITH_CUDA); core/model/attention is
// the one caller in the engine and picks these or the plain-ATen reference.
#include <ATen/core/Tensor.h>

#include <string>

namespace linvideo::kernels {

// Empty when fused_linear_attention can take these tensors; otherwise the reason, in a few words
// ("a CPU tensor", "dtype Half", "head dim 96 ..."). q, k, v: [B, H, L, D]; w_q, w_k: [H, D, D].
std::string fused_linear_attention_unsupported(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                               const at::Tensor& w_q, const at::Tensor& w_k);

// Linear attention with the Hedgehog feature maps, as core/model/attention's linear_attention, on
// the fused kernels. Differentiable in q, k, v, w_q and w_k. Output: v's dtype and q's layout.
at::Tensor fused_linear_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                  const at::Tensor& w_q, const at::Tensor& w_k);

// r * soft + (1 - r) * linear_attention(...), the blend in the linear kernel's store (no full-size
// float32 intermediates). soft: the softmax branch's output (q's shape, v's dtype); r: float32
// scalar. Differentiable in every input, soft and r included.
at::Tensor fused_mixed_attention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v,
                                 const at::Tensor& w_q, const at::Tensor& w_k, const at::Tensor& soft,
                                 const at::Tensor& r);

// Peak memory bandwidth of the current CUDA device in GB/s (0 if unknown), and a device-wide wait.
double peak_bandwidth_gbs();
void synchronize();

}  // namespace linvideo::kernels
