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

// Family inference functions: infer<Family> for each family in Ops.def
// (generated; repeated declarations are harmless).
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut) Status infer##Family(Node &n);
#include "ir/Ops.def"

} // namespace dlc
