// Typed node construction.
#include "ir/Builder.h"

#include "ir/Verifier.h"

namespace dlc {

Expected<Node *> Builder::addMulti(OpKind op, std::vector<Value *> inputs,
                                   std::map<std::string, Attr> attrs,
                                   const std::string &nodeName,
                                   const std::vector<std::string> &outputNames) {
  Node *n = g_.addNode(op, nodeName, std::move(inputs), std::move(attrs),
                       outputNames);
  DLC_CHECK(verifyAttrs(*n));
  DLC_CHECK(inferTypes(*n));
  return n;
}

Expected<Value *> Builder::add(OpKind op, std::vector<Value *> inputs,
                               std::map<std::string, Attr> attrs,
                               const std::string &name) {
  DLC_TRY(n, addMulti(op, std::move(inputs), std::move(attrs), name, {name}));
  return n->outputs[0];
}

} // namespace dlc
