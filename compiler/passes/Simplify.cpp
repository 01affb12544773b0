// simplify: removes nodes that compute their input unchanged and merges
// Reshape chains.
//   Dropout{training=0}(x) -> x        Cast{to=dtype(x)}(x) -> x
//   Reshape/Expand/Slice(x) with the type of x (unit steps) -> x
//   Transpose{perm=identity}(x) -> x   Pad{pads=0}(x) -> x
//   Concat(x) -> x                     Reshape(Reshape(x)) -> Reshape(x)
#include "ir/Printer.h"
#include "passes/PassRegistry.h"

#include <algorithm>

namespace dlc {

static bool isIdentity(const Node &n) {
  const TensorType &in = n.inputs[0]->type, &out = n.outputs[0]->type;
  auto allEqual = [](const std::vector<int64_t> &v, int64_t x) {
    return std::all_of(v.begin(), v.end(), [x](int64_t e) { return e == x; });
  };
  switch (n.op) {
  case OpKind::Dropout:
    return !n.getInt("training") && (n.outputs.size() == 1);
  case OpKind::Cast:
  case OpKind::Reshape:
  case OpKind::Expand:
    return in == out;
  case OpKind::Slice:
    return in == out && allEqual(n.getInts("steps"), 1);
  case OpKind::Transpose: {
    const auto &perm = n.getInts("perm");
    for (size_t i = 0; i < perm.size(); ++i)
      if (perm[i] != static_cast<int64_t>(i))
        return false;
    return !perm.empty() || in.rank() <= 1;
  }
  case OpKind::Pad:
    return allEqual(n.getInts("pads"), 0);
  case OpKind::Concat:
    return n.inputs.size() == 1;
  default:
    return false;
  }
}

Expected<bool> runSimplify(Graph &g) {
  bool changed = false;
  for (const auto &np : g.nodes()) {
    Node &n = *np;
    if (n.op == OpKind::Reshape && n.inputs[0]->producer &&
        n.inputs[0]->producer->op == OpKind::Reshape) {
      n.inputs[0] = n.inputs[0]->producer->inputs[0];
      n.attrs["shape"] = Attr::ofDims(n.outputs[0]->type.dims);
      changed = true;
    }
    if (isIdentity(n)) {
      g.replaceAllUses(n.outputs[0], n.inputs[0]);
      changed = true;
    }
  }
  if (changed)
    g.removeDeadCode();
  return changed;
}

} // namespace dlc
