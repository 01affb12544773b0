// Parameter initializers, seeded and reproducible on every machine (our own
// generator; no dependence on the C++ library's distributions).
//
//   zeros, ones, constant(value=v), uniform(low=a, high=b), normal(mean=m, std=s),
//   xavier_uniform, xavier_normal (gain=1), he_uniform, he_normal (a.k.a.
//   kaiming; fan_in, gain sqrt(2)), lecun_uniform, lecun_normal;
//   each random one takes seed=S (default 0).
// Fans follow PyTorch: weight [out, in, k...] has fan_in = in * prod(k) and
// fan_out = out * prod(k); a 1-D tensor has fan_in = fan_out = its size.
#pragma once

#include "ir/IR.h"

namespace dlc {

// Checks the initializer's name and argument names.
Status checkInitSpec(const InitSpec &spec);
// The value's data if it has some, else its initializer's output.
Expected<Tensor> materializeParam(const Value &v);

} // namespace dlc
