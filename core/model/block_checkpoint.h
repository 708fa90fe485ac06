#pragma once
// Gradient checkpointing of one block: the forward runs without keeping activations, and the
// backward re-runs the block with gradients on and backpropagates through the recomputation.
// Memory then holds one block's activations at a time, for the price of a second forward per block.
#include <ATen/core/Tensor.h>

#include <functional>
#include <vector>

namespace linvideo::model {

// The block as a function of its activation inputs. Everything else it reads (weights, RoPE tables,
// the model itself) is captured by the function and must outlive the backward pass. It must be
// deterministic: the recomputation has to reproduce the forward (no RNG; the DiT's blocks draw none).
using BlockFunction = std::function<at::Tensor(const std::vector<at::Tensor>& inputs)>;

// Runs `block(inputs)` checkpointed when gradients are on and anything requires grad; otherwise it
// just calls it. `params`: every tensor the block captures that requires grad (trainable weights such
// as the attention state's W_q, W_k, r). They are passed to the autograd function as inputs too, so
// they receive their gradient even when no activation input requires grad (the first block).
// The recomputation runs under the autocast state of the original forward.
at::Tensor checkpoint_block(const BlockFunction& block, const std::vector<at::Tensor>& inputs,
                            const std::vector<at::Tensor>& params);

}  // namespace linvideo::model
