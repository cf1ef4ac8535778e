// Minibatch SGD with optional momentum, weight decay (L2, added to the gradient as in PyTorch) and step
// decay of the learning rate. The fast path fuses the weight update into the backward GEMM, so a training
// step makes no extra pass over the weights when momentum is off.
//
// Optimizer state across IST rounds (our documented choice): momentum buffers belong to a trainer's
// subnet for one round only and are reset when a new slice arrives. Carrying them would double the bytes
// of every slice, and with R = 20 local steps and momentum 0.9 (a memory of about 10 steps) the reset
// loses little; GIST makes the same choice for Adam.
#pragma once

#include <cstdint>
#include <vector>

#include "ist/mlp.h"

namespace ist {

// The defaults are the measured best for IST on Fashion-MNIST (784-2048-2048-10, S = 4, R = 20, batch 128,
// sqrt scaling, standardized inputs): test accuracy after 10 epochs 0.866 / 0.864 / 0.865 for seeds
// 1 / 2 / 3 (bench_ist_accuracy; lr 0.02 without warmup: 0.861 / 0.861 / 0.864).
struct SgdOptions {
  float learning_rate = 0.03f;
  float momentum = 0.9f;      // 0 disables momentum buffers (reset every IST round, see above)
  float weight_decay = 0.0f;  // L2 coefficient
  // Step decay: the rate is multiplied by lr_decay_factor every lr_decay_every_epochs epochs (0 = never).
  float lr_decay_factor = 0.3f;
  double lr_decay_every_epochs = 4.0;
  // Cosine decay (applied after the step decay, if both are set): the rate follows
  // 0.5 * (1 + cos(pi * e / cosine_epochs)) from 1 down to 0 at e = cosine_epochs (0 = off).
  double cosine_epochs = 0.0;
  // Linear warmup: the rate is scaled by max(e / warmup_epochs, 0.05) until e = warmup_epochs (0 = off).
  // One epoch of warmup lets IST use lr 0.03 (0.03 or 0.05 without warmup ended lower).
  double warmup_epochs = 1.0;
  // Subnet learning-rate correction: a layer whose input is scaled by s trains its weights at
  // lr / s^subnet_lr_power (2: the effective weights s*W move exactly as a step of lr; 0: no correction).
  // Must be in [0, 2]. Default 0, for sqrt scaling (s = 2 at S = 4): the correction only slowed the
  // hidden and output layers down (3 epochs: 0.848 with 0, 0.844 with 1, 0.774 with 2 at lr 0.01).
  // Inverted-dropout scaling (s = S) needs 1 or 2, or its subnets train S^2 times hotter and diverge.
  float subnet_lr_power = 0.0f;
  // Whether that correction also applies to the layer's bias. The bias is not multiplied by s, so an
  // uncorrected bias already moves at lr (false is the consistent choice; true is the historic one).
  bool subnet_lr_on_bias = true;
};

// Errors: invalid_argument naming the field (rate <= 0, momentum outside [0, 1), negative decay...).
Status validate(const SgdOptions& options);

// The learning rate after epochs_done epochs of training under options' step decay.
float learning_rate_at(const SgdOptions& options, double epochs_done);

// The rate a layer trains with. A layer whose input is scaled by s (an IST subnet with inverted-dropout
// scaling) computes with effective weights s*W, and an SGD step of rate lr on W moves s*W by s^2 * lr
// times the gradient: the subnet's hidden layers would train 16x hotter than the full net at S = 4 and
// diverge. So such a layer's rate is lr / s^2, which gives the effective weights exactly a step of lr.
// With s = 1 (a full model, S = 1) the rate is lr, bit for bit.
float layer_learning_rate(const Linear& layer, float lr);
// The same with the correction lr / s^power (power 2 is layer_learning_rate).
float layer_learning_rate(const Linear& layer, float lr, float power);

// How SgdOptimizer corrects the rate of a subnet layer (see SgdOptions).
struct SubnetLrCorrection {
  float power = 0.0f;
  bool on_bias = true;
};

// Owns momentum buffers, sized to the model it steps (per layer, on first use and whenever a layer's
// shape changes; reused otherwise). One thread at a time. The two-argument constructor uses the default
// SubnetLrCorrection (as SgdOptions' defaults).
class SgdOptimizer {
 public:
  SgdOptimizer(float momentum, float weight_decay) : momentum_(momentum), weight_decay_(weight_decay) {}
  SgdOptimizer(float momentum, float weight_decay, SubnetLrCorrection correction)
      : momentum_(momentum), weight_decay_(weight_decay), correction_(correction) {}

  // One forward/backward pass on (x, labels) and an in-place update of model with rate lr, with the
  // update fused into the weight-gradient GEMM. Returns the batch's mean loss (before the update).
  float train_step(Mlp& model, const Matrix& x, const std::vector<std::int32_t>& labels, float lr,
                   Workspace& ws);

  // The reference update from precomputed gradients (data parallel applies averaged gradients this way).
  // Same mathematics as train_step; results agree to float rounding, not bit for bit.
  void apply(Mlp& model, const Gradients& grads, float lr);

  // Forgets the momentum (a new slice, a new round) and takes new hyper-parameters. The buffers are zeroed
  // in place, not freed, so a trainer that restarts its optimizer every round allocates them once; the
  // steps that follow equal a fresh optimizer's bit for bit.
  void restart(float momentum, float weight_decay, SubnetLrCorrection correction);
  // Frees the momentum buffers (the next step allocates them again, zero).
  void free_momentum() {
    weight_velocity_.clear();
    bias_velocity_.clear();
  }

 private:
  void ensure_buffers(const Mlp& model);
  void update_weights_from_velocity(Matrix& weight, Matrix& velocity, float lr) const;
  void update_bias(Vector& bias, Vector& velocity, const Vector& grad, float lr) const;

  float weight_rate(const Linear& layer, float lr) const;
  float bias_rate(const Linear& layer, float lr) const;

  float momentum_;
  float weight_decay_;
  SubnetLrCorrection correction_;
  std::vector<Matrix> weight_velocity_;
  std::vector<Vector> bias_velocity_;
};

}  // namespace ist
