#pragma once
// LinVideo's training objectives (linvideo.md sections 3 and 5).
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace linvideo::method {

// Straight-through rounding: forward round(r), backward identity.
at::Tensor round_ste(const at::Tensor& r);

// L_con = (sum_l round(r_l) - (N - k))^2 (Eq. 9): the layers that stay softmax count to N - k.
at::Tensor constraint_loss(const at::Tensor& scores, std::int64_t target_linear);

// L_reg = sum_l (1 - |2 r_l - 1|^alpha) (Eq. 10).
at::Tensor binarization_loss(const at::Tensor& scores, double alpha);

// L_reg is symmetric about r = 1/2, so its slope there is zero (for alpha > 1) and a score that
// lands on 1/2 once L_con is met stays there. The rule that breaks the tie (docs/method.md): every
// score within `band` of 1/2 gets the slope L_reg has at the band's edge for alpha = 1 (that is, 2),
// towards the side its rank asks for: the N - k highest scores (ties: the deeper layer ranks
// higher, as shallow layers are the more replaceable) towards 1, the others towards 0. Returns
// d(extra loss)/dr for each score (zero outside the band), to be added to r's gradient times lambda.
at::Tensor tie_break_gradient(const at::Tensor& scores, std::int64_t target_linear, double band = 0.01);

// Cosine decay from `base` to `base * min_ratio` over `total_steps` (step 0: base).
double cosine_lr(double base, std::int64_t step, std::int64_t total_steps, double min_ratio);

// alpha decays linearly from `from` to `to` over training (the schedule knob of the reference).
double alpha_at(std::int64_t step, std::int64_t total_steps, double from = 20.0, double to = 2.0);

// The baseline: || u_teacher - u_student ||^2, mean over elements.
at::Tensor mse_objective(const at::Tensor& student_velocity, const at::Tensor& teacher_velocity);

// ADM with the self-estimated score (Eq. 13): g = ((1 - t) / t) (u_teacher - u_student), both at the
// student's own sample x_hat and without gradient; t is clipped below at t_min; g is divided per
// sample by its mean absolute value. Returns 1/2 || x_hat - stopgrad(x_hat - g) ||^2 (summed per
// sample, averaged over the batch), whose gradient with respect to x_hat is g / batch.
at::Tensor adm_surrogate(const at::Tensor& x_hat, const at::Tensor& teacher_velocity,
                         const at::Tensor& student_velocity, const at::Tensor& t, double t_min = 0.02,
                         bool normalize = true);

// DMD2's distribution-matching gradient on the generator's sample x0 (docs/method.md, "Few-step
// distillation"): the student's x0 is noised to x_sigma = (1 - sigma) x0 + sigma eps, the teacher
// (real score, with CFG) and the critic (fake score) give velocities there, and
//   g = x0_fake - x0_real = sigma (v_real - v_fake),   x0_* = x_sigma - sigma v_*,
// divided per sample by its mean |g| when `normalize` (the sigma factor then cancels).
// sigma: [B]. Returns g as float32, without gradient.
at::Tensor dmd_gradient(const at::Tensor& real_velocity, const at::Tensor& fake_velocity, const at::Tensor& sigma,
                        bool normalize = true);

// 1/2 || x0 - stopgrad(x0 - g) ||^2, summed per sample and averaged over the batch: its gradient
// with respect to x0 is g / batch.
at::Tensor dmd_surrogate(const at::Tensor& x0, const at::Tensor& g);

// The critic's flow-matching loss: || v_fake(x_sigma) - (eps - x0) ||^2, mean over elements.
at::Tensor flow_matching_loss(const at::Tensor& predicted_velocity, const at::Tensor& x0, const at::Tensor& noise);

}  // namespace linvideo::method
