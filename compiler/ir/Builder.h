// Adds nodes to a graph with their output types inferred on the spot, so
// frontends and passes always hold a typed graph.
#pragma once

#include "ir/IR.h"
#include "ir/ShapeInference.h"

namespace dlc {

class Builder {
public:
  explicit Builder(Graph &g) : g_(g) {}
  // One-output node; the output is named `name` (made unique).
  Expected<Value *> add(OpKind op, std::vector<Value *> inputs,
                        std::map<std::string, Attr> attrs,
                        const std::string &name);
  // Any number of outputs.
  Expected<Node *> addMulti(OpKind op, std::vector<Value *> inputs,
                            std::map<std::string, Attr> attrs,
                            const std::string &nodeName,
                            const std::vector<std::string> &outputNames);
  Graph &graph() { return g_; }

private:
  Graph &g_;
};

} // namespace dlc
