// Kernels of the gradient ops (Ops.def, "Gradient ops").
#include "runtime/reference/Kernels.h"

namespace dlc::ref {

#define DLC_TODO(F)                                                            \
  Status run##F(KernelArgs &a) {                                               \
    return Error(a.node.describe() + ": no reference kernel yet");             \
  }
#undef DLC_TODO

} // namespace dlc::ref
