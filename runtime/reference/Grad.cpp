// Kernels of the gradient ops (Ops.def, "Gradient ops").
#include "runtime/reference/Kernels.h"

namespace dlc::ref {

#define DLC_TODO(F)                                                            \
  Status run##F(KernelArgs &a) {                                               \
    return Error(a.node.describe() + ": no reference kernel yet");             \
  }
DLC_TODO(PoolGrad)
DLC_TODO(BatchNormGrad)
DLC_TODO(ConvGradWeight)
#undef DLC_TODO

} // namespace dlc::ref
