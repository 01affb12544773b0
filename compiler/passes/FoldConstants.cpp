// fold-constants: a node whose inputs are all constants is evaluated once, by
// the reference interpreter (the same code that defines every op's
// semantics), and its results become constants. Parameters are state that
// training changes, so nodes reading them are never folded. Results larger
// than kMaxElements stay as computations rather than bloat the model.
#include "passes/PassRegistry.h"
#include "runtime/reference/Interpreter.h"

namespace dlc {

static constexpr int64_t kMaxElements = 1 << 20;

Expected<bool> runFoldConstants(Graph &g) {
  bool changed = false;
  for (const auto &np : g.nodes()) {
    Node &n = *np;
    bool foldable = !(n.op == OpKind::Dropout && n.getInt("training"));
    for (Value *in : n.inputs)
      foldable &= !in || in->isConst();
    for (Value *out : n.outputs)
      foldable &= out->type.isStatic() &&
                  dlrt::numElements(out->type.staticShape()) <= kMaxElements;
    if (!foldable)
      continue;
    // Evaluate the node alone in a scratch graph.
    Graph scratch;
    std::vector<Value *> ins;
    for (Value *in : n.inputs) {
      Value *c = in ? scratch.lookup(in->name) : nullptr;
      if (in && !c)
        c = scratch.addConst(in->name, *in->data);
      ins.push_back(c);
    }
    std::vector<std::string> names;
    for (Value *o : n.outputs)
      names.push_back(o->name);
    Node *copy = scratch.addNode(n.op, n.name, ins, n.attrs, names);
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      copy->outputs[i]->type = n.outputs[i]->type;
      scratch.addOutput(names[i], copy->outputs[i]);
    }
    auto result = interpret(scratch, {});
    if (!result)
      return result.takeError();
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      std::string name = n.outputs[i]->name;
      Value *c = g.addConst(g.uniqueName(name + ".folded"), result->outputs[i]);
      g.replaceAllUses(n.outputs[i], c);
    }
    changed = true;
  }
  if (changed)
    g.removeDeadCode();
  return changed;
}

} // namespace dlc
