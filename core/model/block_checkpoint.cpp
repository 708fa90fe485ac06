#include "core/model/block_checkpoint.h"

#include <ATen/core/grad_mode.h>
#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "core/error.h"
#include "core/model/autocast.h"

namespace linvideo::model {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What backward needs besides tensors: the block, and the autocast state its forward ran under.
struct Recompute final : torch::CustomClassHolder {
  BlockFunction block;
  c10::DeviceType device = c10::DeviceType::CPU;
  AutocastState autocast;
  std::size_t num_inputs = 0;
};

struct BlockCheckpoint final : torch::autograd::Function<BlockCheckpoint> {
  static at::Tensor forward(AutogradContext* ctx, c10::intrusive_ptr<Recompute> recompute, at::TensorList inputs,
                            at::TensorList params) {
    at::Tensor out;
    {
      at::NoGradGuard no_grad;
      out = recompute->block(inputs.vec());
    }
    std::vector<at::Tensor> saved = inputs.vec();
    saved.insert(saved.end(), params.begin(), params.end());
    ctx->save_for_backward(saved);
    ctx->saved_data["recompute"] = at::IValue::make_capsule(std::move(recompute));
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto recompute = c10::static_intrusive_pointer_cast<Recompute>(ctx->saved_data["recompute"].toCapsule());
    const variable_list saved = ctx->get_saved_variables();
    const std::size_t n_in = recompute->num_inputs;
    std::vector<at::Tensor> inputs;
    variable_list wrt;
    std::vector<std::size_t> wrt_slot;  // slot of each wrt tensor in the returned gradients
    for (std::size_t i = 0; i < n_in; ++i) {
      at::Tensor d = saved[i].detach();
      if (saved[i].requires_grad()) {
        d.requires_grad_(true);
        wrt.push_back(d), wrt_slot.push_back(1 + i);
      }
      inputs.push_back(d);
    }
    for (std::size_t i = n_in; i < saved.size(); ++i) {
      if (saved[i].requires_grad()) wrt.push_back(saved[i]), wrt_slot.push_back(1 + i);
    }
    at::Tensor out;
    {
      at::AutoGradMode grad_on(true);
      AutocastScope autocast(recompute->device, recompute->autocast);
      out = recompute->block(inputs);
    }
    // One gradient per forward argument; the first argument (the recompute capsule) gets none.
    variable_list grads(1 + saved.size());
    if (wrt.empty() || !out.requires_grad()) return grads;
    const variable_list g = torch::autograd::grad({out}, wrt, {grad_outputs.at(0)}, /*retain_graph=*/false,
                                                  /*create_graph=*/false, /*allow_unused=*/true);
    for (std::size_t i = 0; i < g.size(); ++i) grads[wrt_slot[i]] = g[i];
    return grads;
  }
};

}  // namespace

at::Tensor checkpoint_block(const BlockFunction& block, const std::vector<at::Tensor>& inputs,
                            const std::vector<at::Tensor>& params) {
  bool any_grad = false;
  for (const auto& t : inputs) any_grad = any_grad || (t.defined() && t.requires_grad());
  for (const auto& t : params) any_grad = any_grad || (t.defined() && t.requires_grad());
  if (!at::GradMode::is_enabled() || !any_grad) return block(inputs);
  for (const auto& t : inputs) {
    if (!t.defined()) throw Error("checkpoint_block: undefined input tensor");
  }
  std::vector<at::Tensor> trainable;
  for (const auto& t : params) {
    if (t.defined() && t.requires_grad()) trainable.push_back(t);
  }
  auto recompute = c10::make_intrusive<Recompute>();
  recompute->block = block;
  recompute->device = inputs.empty() ? c10::DeviceType::CPU : inputs.front().device().type();
  recompute->autocast = autocast_state(recompute->device);
  recompute->num_inputs = inputs.size();
  return BlockCheckpoint::apply(std::move(recompute), at::TensorList(inputs), at::TensorList(trainable));
}

}  // namespace linvideo::model
