// Graph verification.
#include "ir/Verifier.h"

#include "ir/ShapeInference.h"

#include <set>

namespace dlc {

Status verifyAttrs(const Node &n) {
  for (const auto &[name, a] : n.attrs) {
    const AttrSpec *spec = findAttrSpec(n.op, name);
    if (!spec)
      return Error(n.describe() + ": unknown attribute '" + name + "'");
    if (spec->kind != a.kind)
      return Error(n.describe() + ": attribute '" + name + "' must be " +
                   attrKindName(spec->kind) + ", got " + attrKindName(a.kind));
  }
  for (const AttrSpec &s : attrSpecs(n.op))
    if (!s.defaultValue.present && !n.attrs.count(s.name))
      return Error(n.describe() + ": missing required attribute '" + s.name + "'");
  return Status::ok();
}

static Status verifyArity(const Node &n) {
  const OpInfo &info = opInfo(n.op);
  auto count = [&](const char *what, size_t got, int min, int max) -> Status {
    if (got < static_cast<size_t>(min) ||
        (max >= 0 && got > static_cast<size_t>(max)))
      return Error(n.describe() + ": expects " + std::to_string(min) +
                   (max == min ? "" : max < 0 ? " or more" : " to " + std::to_string(max)) +
                   " " + what + ", got " + std::to_string(got));
    return Status::ok();
  };
  DLC_CHECK(count("inputs", n.inputs.size(), info.minInputs, info.maxInputs));
  return count("outputs", n.outputs.size(), info.minOutputs, info.maxOutputs);
}

static Status verifyData(const Value &v) {
  if (!v.data) {
    if (v.isConst() || v.init.kind.empty())
      return Error("'" + v.name + "' has no values and no initializer");
    return Status::ok();
  }
  if (!v.type.isStatic() || v.data->dtype() != v.type.dtype ||
      v.data->shape() != v.type.staticShape())
    return Error("'" + v.name + "' is declared " + v.type.str() + " but holds " +
                 std::string(dlrt::dtypeName(v.data->dtype())) +
                 dlrt::shapeString(v.data->shape()));
  return Status::ok();
}

Status verifyGraph(const Graph &g) {
  std::set<const Value *> defined;
  std::set<std::string> names;
  auto define = [&](const Value *v) -> Status {
    if (!names.insert(v->name).second)
      return Error("value '" + v->name + "' is defined more than once");
    if (g.lookup(v->name) != v)
      return Error("value '" + v->name + "' is not registered in the graph");
    defined.insert(v);
    return Status::ok();
  };
  for (const Value *v : g.inputs())
    DLC_CHECK(define(v));
  for (const Value *v : g.params()) {
    DLC_CHECK(define(v));
    DLC_CHECK(verifyData(*v));
  }
  for (const Value *v : g.states()) {
    DLC_CHECK(define(v));
    DLC_CHECK(verifyData(*v));
  }
  for (const Value *v : g.consts()) {
    DLC_CHECK(define(v));
    DLC_CHECK(verifyData(*v));
  }
  std::set<std::string> nodeNames;
  for (const auto &np : g.nodes()) {
    Node &n = *np;
    if (!nodeNames.insert(n.name).second)
      return Error("node name '" + n.name + "' is used more than once");
    DLC_CHECK(verifyArity(n));
    DLC_CHECK(verifyAttrs(n));
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const Value *in = n.inputs[i];
      if (!in)
        continue;
      if (!defined.count(in))
        return Error(n.describe() + ": input '" + in->name +
                     "' is not defined before its use (dangling input or cycle)");
    }
    std::vector<TensorType> recorded;
    for (const Value *o : n.outputs)
      recorded.push_back(o->type);
    DLC_CHECK(inferTypes(n));
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i]->type != recorded[i]) {
        std::string inferred = n.outputs[i]->type.str();
        n.outputs[i]->type = recorded[i];
        return Error(n.describe() + ": output '" + n.outputs[i]->name +
                     "' is declared " + recorded[i].str() + " but inferred " +
                     inferred);
      }
      if (n.outputs[i]->producer != &n)
        return Error(n.describe() + ": output '" + n.outputs[i]->name +
                     "' has another producer");
      DLC_CHECK(define(n.outputs[i]));
    }
  }
  if (g.outputs().empty())
    return Error("graph has no outputs");
  std::set<std::string> outNames;
  for (const auto &[name, v] : g.outputs()) {
    if (!defined.count(v))
      return Error("output '" + name + "' refers to an undefined value");
    if (!outNames.insert(name).second)
      return Error("output name '" + name + "' is used more than once");
  }
  std::set<const Value *> updated;
  for (const auto &[target, v] : g.updates()) {
    if (!target->isPersistent() || !defined.count(target))
      return Error("update target '" + target->name + "' is not a param or state");
    if (!defined.count(v))
      return Error("update of '" + target->name + "' refers to an undefined value");
    if (v->type != target->type)
      return Error("update of '" + target->name + "' (" + target->type.str() +
                   ") with '" + v->name + "' of type " + v->type.str());
    if (!updated.insert(target).second)
      return Error("'" + target->name + "' is updated more than once");
  }
  return Status::ok();
}

} // namespace dlc
