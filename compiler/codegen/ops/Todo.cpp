// Families not lowered to Halide yet: each reports the op by name.
#include "codegen/Lower.h"

namespace dlc::codegen {

#define DLC_TODO(F)                                                            \
  Status lower##F(LowerCtx &c) { return c.error("no Halide lowering yet"); }
DLC_TODO(Pool) DLC_TODO(BatchNorm)
DLC_TODO(Dropout) DLC_TODO(Softmax) DLC_TODO(ArgReduce)
DLC_TODO(Reduce) DLC_TODO(Concat) DLC_TODO(Expand) DLC_TODO(Gather) DLC_TODO(Pad)
DLC_TODO(Reshape) DLC_TODO(Slice) DLC_TODO(Split) DLC_TODO(Tile) DLC_TODO(Transpose)
DLC_TODO(PoolGrad) DLC_TODO(BatchNormGrad)
DLC_TODO(GatherGrad) DLC_TODO(PadGrad)
#undef DLC_TODO

} // namespace dlc::codegen
