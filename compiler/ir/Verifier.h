// Structural and type checks on a whole graph: op arity and attributes
// against Ops.def / OpAttrs.def, definitions before uses (no dangling inputs,
// no cycles), unique names, parameter data matching declared types, and every
// node's recorded output types equal to what shape inference derives.
#pragma once

#include "ir/IR.h"

namespace dlc {

Status verifyGraph(const Graph &g);
// Attribute checks alone (unknown name, wrong kind, missing required); used by
// parsers before shape inference so the error is about the attribute.
Status verifyAttrs(const Node &n);

} // namespace dlc
