// cse: common-subexpression elimination. Two nodes with the same op, the same
// inputs and equal attributes compute the same values; the later one's uses
// move to the earlier one. Dropout in training mode is random, so each
// instance stays.
#include "passes/PassRegistry.h"

#include <map>

namespace dlc {

Expected<bool> runCse(Graph &g) {
  std::map<std::pair<OpKind, std::vector<Value *>>, std::vector<Node *>> seen;
  bool changed = false;
  for (const auto &np : g.nodes()) {
    Node *n = np.get();
    if (n->op == OpKind::Dropout && n->getInt("training"))
      continue;
    auto &bucket = seen[{n->op, n->inputs}];
    Node *twin = nullptr;
    for (Node *m : bucket)
      if (m->attrs == n->attrs && m->outputs.size() == n->outputs.size())
        twin = m;
    if (!twin) {
      bucket.push_back(n);
      continue;
    }
    for (size_t i = 0; i < n->outputs.size(); ++i)
      g.replaceAllUses(n->outputs[i], twin->outputs[i]);
    changed = true;
  }
  if (changed)
    g.removeDeadCode();
  return changed;
}

} // namespace dlc
