// Graph, node and value bookkeeping; op and attribute tables from the .def files.
#include "ir/IR.h"

#include <algorithm>
#include <set>

namespace dlc {

static const OpInfo kOpInfos[] = {
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut)                     \
  {#Name, MinIn, MaxIn, MinOut, MaxOut},
#include "ir/Ops.def"
};

const OpInfo &opInfo(OpKind op) { return kOpInfos[static_cast<int>(op)]; }
const char *opName(OpKind op) { return opInfo(op).name; }

std::optional<OpKind> parseOpName(const std::string &name) {
  static const std::map<std::string, OpKind> table = [] {
    std::map<std::string, OpKind> m;
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut) m[#Name] = OpKind::Name;
#include "ir/Ops.def"
    return m;
  }();
  auto it = table.find(name);
  if (it == table.end())
    return std::nullopt;
  return it->second;
}

std::string dimsString(const Dims &d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i)
    s += (i ? ", " : "") + d[i].str();
  return s + "]";
}

bool TensorType::isStatic() const {
  return std::all_of(dims.begin(), dims.end(),
                     [](const Dim &d) { return d.isStatic(); });
}

std::vector<int64_t> TensorType::staticShape() const {
  std::vector<int64_t> s;
  for (const Dim &d : dims) {
    DLC_ASSERT(d.isStatic(), "staticShape of a symbolic type");
    s.push_back(d.value);
  }
  return s;
}

TensorType TensorType::of(DType t, const std::vector<int64_t> &shape) {
  TensorType tt;
  tt.dtype = t;
  for (int64_t d : shape)
    tt.dims.push_back(Dim(d));
  return tt;
}

std::string TensorType::str() const {
  return std::string(dlrt::dtypeName(dtype)) + dimsString(dims);
}

const char *attrKindName(AttrKind k) {
  switch (k) {
  case AttrKind::Int: return "int";
  case AttrKind::Float: return "float";
  case AttrKind::String: return "string";
  case AttrKind::Ints: return "int list";
  case AttrKind::Floats: return "float list";
  case AttrKind::Dims: return "shape";
  }
  return "?";
}

Attr Attr::ofInt(int64_t v) {
  Attr a;
  a.kind = AttrKind::Int, a.present = true, a.i = v;
  return a;
}
Attr Attr::ofFloat(double v) {
  Attr a;
  a.kind = AttrKind::Float, a.present = true, a.f = v;
  return a;
}
Attr Attr::ofString(std::string v) {
  Attr a;
  a.kind = AttrKind::String, a.present = true, a.s = std::move(v);
  return a;
}
Attr Attr::ofInts(std::vector<int64_t> v) {
  Attr a;
  a.kind = AttrKind::Ints, a.present = true, a.ints = std::move(v);
  return a;
}
Attr Attr::ofFloats(std::vector<double> v) {
  Attr a;
  a.kind = AttrKind::Floats, a.present = true, a.floats = std::move(v);
  return a;
}
Attr Attr::ofDims(Dims v) {
  Attr a;
  a.kind = AttrKind::Dims, a.present = true, a.dims = std::move(v);
  return a;
}

bool Attr::operator==(const Attr &o) const {
  if (kind != o.kind || present != o.present)
    return false;
  switch (kind) {
  case AttrKind::Int: return i == o.i;
  case AttrKind::Float: return f == o.f || (std::isnan(f) && std::isnan(o.f));
  case AttrKind::String: return s == o.s;
  case AttrKind::Ints: return ints == o.ints;
  case AttrKind::Floats: return floats == o.floats;
  case AttrKind::Dims: return dims == o.dims;
  }
  return false;
}

const std::vector<AttrSpec> &attrSpecs(OpKind op) {
  static const std::vector<std::vector<AttrSpec>> table = [] {
    std::vector<std::vector<AttrSpec>> t(std::size(kOpInfos));
#define DLC_ATTR(Op, Name, Kind, Default)                                      \
  t[static_cast<int>(OpKind::Op)].push_back({Name, AttrKind::Kind, Default});
#include "ir/OpAttrs.def"
    return t;
  }();
  return table[static_cast<int>(op)];
}

const AttrSpec *findAttrSpec(OpKind op, const std::string &name) {
  for (const AttrSpec &s : attrSpecs(op))
    if (name == s.name)
      return &s;
  return nullptr;
}

const Attr &Node::attr(const std::string &n) const {
  auto it = attrs.find(n);
  if (it != attrs.end())
    return it->second;
  const AttrSpec *spec = findAttrSpec(op, n);
  DLC_ASSERT(spec, "attribute not in the op's schema");
  return spec->defaultValue;
}

std::string Node::describe() const {
  return "node '" + name + "' (" + opName(op) + ")";
}

Value *Graph::newValue(const std::string &name, ValueKind kind) {
  DLC_ASSERT(!byName_.count(name), "duplicate value name");
  values_.push_back(std::make_unique<Value>());
  Value *v = values_.back().get();
  v->name = name;
  v->kind = kind;
  byName_[name] = v;
  return v;
}

std::unique_ptr<Graph> Graph::clone() const {
  auto c = std::make_unique<Graph>();
  c->name = name;
  c->sourcePath = sourcePath;
  c->train = train;
  std::map<const Value *, Value *> map;
  auto copyValue = [&](const Value *v, Value *to) {
    to->type = v->type;
    to->data = v->data;
    to->init = v->init;
    to->dataRef = v->dataRef;
    to->trainable = v->trainable;
    map[v] = to;
  };
  for (const Value *v : inputs_)
    copyValue(v, c->addInput(v->name, v->type));
  for (const Value *v : params_)
    copyValue(v, c->addParam(v->name, v->type));
  for (const Value *v : states_)
    copyValue(v, c->addState(v->name, v->type));
  for (const Value *v : consts_)
    copyValue(v, c->addConst(v->name, *v->data));
  for (const auto &n : nodes_) {
    std::vector<Value *> ins;
    for (const Value *in : n->inputs)
      ins.push_back(in ? map.at(in) : nullptr);
    std::vector<std::string> names;
    for (const Value *o : n->outputs)
      names.push_back(o->name);
    Node *m = c->addNode(n->op, n->name, ins, n->attrs, names);
    for (size_t i = 0; i < n->outputs.size(); ++i)
      copyValue(n->outputs[i], m->outputs[i]);
  }
  for (const auto &[oname, v] : outputs_)
    c->addOutput(oname, map.at(v));
  for (const auto &[t, v] : updates_)
    c->addUpdate(map.at(t), map.at(v));
  return c;
}

Value *Graph::addInput(const std::string &name, TensorType type) {
  Value *v = newValue(name, ValueKind::Input);
  v->type = std::move(type);
  inputs_.push_back(v);
  return v;
}

Value *Graph::addParam(const std::string &name, TensorType type) {
  Value *v = newValue(name, ValueKind::Param);
  v->type = std::move(type);
  params_.push_back(v);
  return v;
}

Value *Graph::addState(const std::string &name, TensorType type) {
  Value *v = newValue(name, ValueKind::State);
  v->type = std::move(type);
  v->trainable = false;
  states_.push_back(v);
  return v;
}

Value *Graph::addConst(const std::string &name, Tensor data) {
  Value *v = newValue(name, ValueKind::Const);
  v->type = TensorType::of(data.dtype(), data.shape());
  v->data = std::move(data);
  consts_.push_back(v);
  return v;
}

Node *Graph::addNode(OpKind op, const std::string &nodeName,
                     std::vector<Value *> inputs,
                     std::map<std::string, Attr> attrs,
                     const std::vector<std::string> &outputNames) {
  nodes_.push_back(std::make_unique<Node>());
  Node *n = nodes_.back().get();
  n->op = op;
  n->name = uniqueNodeName(nodeName.empty() ? outputNames.at(0) : nodeName);
  nodeByName_[n->name] = n;
  n->inputs = std::move(inputs);
  n->attrs = std::move(attrs);
  for (size_t i = 0; i < outputNames.size(); ++i) {
    Value *v = newValue(uniqueName(outputNames[i]), ValueKind::Result);
    v->producer = n;
    v->resultIndex = static_cast<int>(i);
    n->outputs.push_back(v);
  }
  return n;
}

Value *Graph::addResult(Node *n, const std::string &name) {
  Value *v = newValue(uniqueName(name), ValueKind::Result);
  v->producer = n;
  v->resultIndex = static_cast<int>(n->outputs.size());
  n->outputs.push_back(v);
  return v;
}

void Graph::dropResults(Node *n, size_t keep) {
  while (n->outputs.size() > keep) {
    removeValue(n->outputs.back());
    n->outputs.pop_back();
  }
}

void Graph::makeState(Value *param) {
  DLC_ASSERT(param->isParam(), "makeState of a value that is not a param");
  params_.erase(std::remove(params_.begin(), params_.end(), param), params_.end());
  param->kind = ValueKind::State;
  param->trainable = false;
  states_.push_back(param);
}

void Graph::addOutput(const std::string &name, Value *v) {
  outputs_.emplace_back(name, v);
}

void Graph::addUpdate(Value *target, Value *value) {
  updates_.emplace_back(target, value);
}

Value *Graph::lookup(const std::string &name) const {
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::string Graph::uniqueName(const std::string &base) const {
  if (!byName_.count(base))
    return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!byName_.count(n))
      return n;
  }
}

std::string Graph::uniqueNodeName(const std::string &base) const {
  if (!nodeByName_.count(base))
    return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!nodeByName_.count(n))
      return n;
  }
}

void Graph::replaceAllUses(Value *from, Value *to) {
  for (auto &n : nodes_)
    for (Value *&in : n->inputs)
      if (in == from)
        in = to;
  for (auto &o : outputs_)
    if (o.second == from)
      o.second = to;
  for (auto &u : updates_)
    if (u.second == from)
      u.second = to;
}

std::map<const Value *, int> Graph::useCounts() const {
  std::map<const Value *, int> uses;
  for (auto &n : nodes_)
    for (Value *in : n->inputs)
      if (in)
        ++uses[in];
  for (auto &o : outputs_)
    ++uses[o.second];
  for (auto &u : updates_)
    ++uses[u.second];
  return uses;
}

void Graph::removeValue(Value *v) {
  byName_.erase(v->name);
  auto drop = [v](std::vector<Value *> &list) {
    list.erase(std::remove(list.begin(), list.end(), v), list.end());
  };
  drop(inputs_), drop(params_), drop(states_), drop(consts_);
  values_.erase(std::remove_if(values_.begin(), values_.end(),
                               [v](auto &p) { return p.get() == v; }),
                values_.end());
}

bool Graph::removeDeadCode() {
  std::set<const Node *> live;
  std::vector<const Node *> work;
  for (auto &o : outputs_)
    if (o.second->producer)
      work.push_back(o.second->producer);
  for (auto &u : updates_)
    if (u.second->producer)
      work.push_back(u.second->producer);
  while (!work.empty()) {
    const Node *n = work.back();
    work.pop_back();
    if (!live.insert(n).second)
      continue;
    for (Value *in : n->inputs)
      if (in && in->producer)
        work.push_back(in->producer);
  }
  bool changed = false;
  std::vector<std::unique_ptr<Node>> kept;
  std::vector<Value *> deadValues;
  for (auto &n : nodes_) {
    if (live.count(n.get())) {
      kept.push_back(std::move(n));
      continue;
    }
    changed = true;
    nodeByName_.erase(n->name);
    for (Value *v : n->outputs)
      deadValues.push_back(v);
  }
  nodes_ = std::move(kept);
  for (Value *v : deadValues)
    removeValue(v);
  auto uses = useCounts();
  for (Value *c : std::vector<Value *>(consts_))
    if (!uses.count(c)) {
      removeValue(c);
      changed = true;
    }
  return changed;
}

Status Graph::topoSort() {
  std::map<const Node *, size_t> index;
  for (size_t i = 0; i < nodes_.size(); ++i)
    index[nodes_[i].get()] = i;
  // 0 = unvisited, 1 = on stack, 2 = done. Iterative DFS keeps deep graphs safe.
  std::vector<int> state(nodes_.size(), 0);
  std::vector<size_t> order;
  for (size_t root = 0; root < nodes_.size(); ++root) {
    if (state[root])
      continue;
    std::vector<std::pair<size_t, size_t>> stack{{root, 0}};
    state[root] = 1;
    while (!stack.empty()) {
      auto &[ni, next] = stack.back();
      Node *n = nodes_[ni].get();
      if (next < n->inputs.size()) {
        Value *in = n->inputs[next++];
        if (!in || !in->producer || !index.count(in->producer))
          continue;
        size_t pi = index[in->producer];
        if (state[pi] == 1)
          return Error(in->producer->describe() + ": graph has a cycle through '" +
                       in->name + "'");
        if (state[pi] == 0) {
          state[pi] = 1;
          stack.push_back({pi, 0});
        }
        continue;
      }
      state[ni] = 2;
      order.push_back(ni);
      stack.pop_back();
    }
  }
  std::vector<std::unique_ptr<Node>> sorted;
  for (size_t i : order)
    sorted.push_back(std::move(nodes_[i]));
  nodes_ = std::move(sorted);
  return Status::ok();
}

} // namespace dlc
