// Shape and dtype inference: from a node's input types and attributes to its
// output types. One function per op family (ir/ops/*.cpp), dispatched through
// Ops.def. Symbolic dims (a batch N) are carried through; a result that would
// need a dim expression (N*3) is an error.
#pragma once

#include "ir/IR.h"

namespace dlc {

// Sets n.outputs[i]->type. Errors name the node: "node 'c1' (Conv): ...".
Status inferTypes(Node &n);

// Helpers shared by the family files and by importers.
Expected<int64_t> normalizeAxis(int64_t axis, size_t rank);
Expected<Dims> broadcastDims(const Dims &a, const Dims &b);
// Product of dims as (static factor, sorted symbols); for reshape checks.
struct DimProduct {
  int64_t factor = 1;
  std::vector<std::string> syms;
  bool operator==(const DimProduct &o) const {
    return factor == o.factor && syms == o.syms;
  }
};
DimProduct dimProduct(const Dims &d, size_t begin = 0, size_t end = SIZE_MAX);

// Family inference functions (infer<Family> for each Family in Ops.def).
#define DLC_FAMILY(F) Status infer##F(Node &n);
DLC_FAMILY(Unary) DLC_FAMILY(Binary) DLC_FAMILY(Compare) DLC_FAMILY(Where)
DLC_FAMILY(Cast) DLC_FAMILY(Pool) DLC_FAMILY(BatchNorm) DLC_FAMILY(Conv)
DLC_FAMILY(ConvTranspose) DLC_FAMILY(Dropout) DLC_FAMILY(Softmax)
DLC_FAMILY(MatMul) DLC_FAMILY(ArgReduce) DLC_FAMILY(Reduce) DLC_FAMILY(Concat)
DLC_FAMILY(Expand) DLC_FAMILY(Gather) DLC_FAMILY(Pad) DLC_FAMILY(Reshape)
DLC_FAMILY(Slice) DLC_FAMILY(Split) DLC_FAMILY(Tile) DLC_FAMILY(Transpose)
DLC_FAMILY(PoolGrad) DLC_FAMILY(BatchNormGrad) DLC_FAMILY(ConvGradWeight)
DLC_FAMILY(GatherGrad) DLC_FAMILY(PadGrad)
#undef DLC_FAMILY

} // namespace dlc
