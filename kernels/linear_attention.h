#pragma once
// Fused non-causal Hedgehog linear attention on CUDA (issue 16): the launchers, on raw device
// pointers. No LibTorch here; kernels/fused_linear_attention.h wraps them for tensors and autograd.
//
// The maths is core/model/attention's reference, per batch b and head h:
//   phi(x) = [softmax(x W), softmax(-x W)]            (2D features; W is [D, D], float32)
//   S = sum_j phi(k_j)^T v_j  [2D, D],  z = sum_j phi(k_j)  [2D]      (float32)
//   o_i = phi(q_i) S / max(phi(q_i) . z, 1e-12)
// Mixed mode (training): out = r * soft + (1 - r) * o, soft and r given.
//
// Forward: pass 1 builds partial states over slices of the sequence (so that batch 1 with 12 heads
// fills every SM), a reduction sums them in a fixed order (deterministic, float32), pass 2 applies
// them (feature map, product with S, division, store) in one kernel. Backward recomputes phi. The
// projection by W is fused into every pass and phi never reaches device memory. Matrix products
// run on tensor cores: bf16 inputs multiply in bf16, float32 inputs in TF32; every accumulation,
// partial state and reduction is float32.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace linvideo::kernels {

enum class DType { BF16, F32 };

// A [B, H, L, D] tensor whose last dimension is contiguous: element (b, h, l, d) is at
// ptr + b * sb + h * sh + l * sl + d (strides in elements).
struct Rows {
  const void* ptr = nullptr;
  std::int64_t sb = 0, sh = 0, sl = 0;
};
struct MutRows {
  void* ptr = nullptr;
  std::int64_t sb = 0, sh = 0, sl = 0;
};

struct LinAttnDims {
  int B = 1, H = 1, Lq = 1, Lk = 1, D = 128;  // D: the real head dim (w_q, w_k are [H, D, D])
  DType dtype = DType::BF16;
};

// How the work is cut into slices of the sequence (chunks per batch-head) for each kernel, and the
// float32 workspace each needs. Computed by make_plan for the current device.
struct LinAttnPlan {
  bool big = true;        // Hopper-size tiles (else the compact ones, for less shared memory per block)
  int state_chunks = 1;   // forward pass 1 (over k tokens)
  int apply_chunks = 1;   // forward pass 2 (over q tokens)
  bool forward_mma = false;  // both passes on the mma.sync kernels (bf16, big configuration)
  int apply_warps = 8;       // warps per block of the mma.sync apply kernel (8 or 12)
  int bq_chunks = 1;      // backward over q tokens (dS, dz, dr partials; dq, dW_q partials)
  int bkv_chunks = 1;     // backward over k tokens (dk, dv, dW_k partials)
  bool backward_mma = false;  // the backward on the mma.sync kernels (bf16, big configuration)
  // Workspace elements (float32) the launchers below expect, sized by these chunk counts.
  std::size_t forward_workspace = 0;
  std::size_t backward_workspace = 0;
};

// The kernels run head dims up to 64 as 64 and up to 128 as 128, zero-padded inside the block
// (never in device memory); the float32 state, normaliser and W gradients they hand back are laid
// out at this padded size P: S [B, H, 2P, P], z [B, H, 2P], dW [H, P, P].
int padded_head_dim(int D);

// Empty when the kernels can run these dimensions on the current device; else why not (one line).
std::string linear_attention_unsupported(const LinAttnDims& dims);
// Whether pointer p and the row strides allow 16-byte vector loads for dtype.
bool rows_aligned(const void* p, std::int64_t sb, std::int64_t sh, std::int64_t sl, DType dtype);

LinAttnPlan make_plan(const LinAttnDims& dims);

// Forward. S [B, H, 2P, P] and z [B, H, 2P] are float32 outputs (kept for the backward).
// soft and r are null for plain linear attention; with them, o = r * soft + (1 - r) * linear.
// Returns an empty string on success, else the CUDA error.
std::string launch_linear_attention_forward(const LinAttnDims& dims, const LinAttnPlan& plan, Rows q, Rows k,
                                            Rows v, const float* w_q, const float* w_k, Rows soft, const float* r,
                                            MutRows o, float* S, float* z, float* workspace, cudaStream_t stream);

// Backward from dO. dq, dk, dv have the inputs' dtype and layout (strides given); dw_q, dw_k are
// float32 [H, P, P]; dr (float32 scalar) only with mixed mode. Needs the forward's S and z.
std::string launch_linear_attention_backward(const LinAttnDims& dims, const LinAttnPlan& plan, Rows q, Rows k,
                                             Rows v, const float* w_q, const float* w_k, Rows soft, const float* r,
                                             Rows dout, const float* S, const float* z, MutRows dq, MutRows dk,
                                             MutRows dv, float* dw_q, float* dw_k, float* dr, float* workspace,
                                             cudaStream_t stream);

// Peak memory bandwidth of the current device in GB/s (from its clock and bus width), 0 if unknown.
double device_peak_bandwidth_gbs();
void device_synchronize();

}  // namespace linvideo::kernels
