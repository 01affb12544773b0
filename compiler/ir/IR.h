// The graph IR: values, nodes and the graph that owns them.
//
// A Graph is a DAG of Nodes in topological order. A Value is defined exactly
// once: as a graph input, a parameter (trainable or frozen; values from an
// initializer spec, literal data or an external file), a state (values the
// model keeps between runs that are not learned: BatchNorm running statistics,
// optimizer moments), a constant, or a result of a node. A graph that trains
// ends with updates: `update w = w.next` writes a result back into a parameter
// or state once the run is over, so every update reads the old values. Types are a dtype plus dims; a dim is static or a symbol (a batch
// "N"). Shapes follow numpy broadcasting; tensors are row-major; images NCHW.
#pragma once

#include "dlrt/Tensor.h"
#include "ir/TrainSpec.h"
#include "support/Error.h"

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace dlc {

using dlrt::DType;
using dlrt::Tensor;

enum class OpKind {
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut) Name,
#include "ir/Ops.def"
};

struct OpInfo {
  const char *name;
  int minInputs, maxInputs, minOutputs, maxOutputs;
};
const OpInfo &opInfo(OpKind op);
const char *opName(OpKind op);
std::optional<OpKind> parseOpName(const std::string &name);

// A dimension: a static extent, or a symbol bound at run time.
struct Dim {
  int64_t value = 0;
  std::string sym;
  Dim() = default;
  Dim(int64_t v) : value(v) {}
  explicit Dim(std::string s) : sym(std::move(s)) {}
  bool isStatic() const { return sym.empty(); }
  bool operator==(const Dim &o) const {
    return sym == o.sym && (!sym.empty() || value == o.value);
  }
  bool operator!=(const Dim &o) const { return !(*this == o); }
  std::string str() const { return sym.empty() ? std::to_string(value) : sym; }
};
using Dims = std::vector<Dim>;
std::string dimsString(const Dims &d); // "[N, 3, 224, 224]"

struct TensorType {
  DType dtype = DType::F32;
  Dims dims;
  size_t rank() const { return dims.size(); }
  bool isStatic() const;
  // Requires isStatic().
  std::vector<int64_t> staticShape() const;
  static TensorType of(DType t, const std::vector<int64_t> &shape);
  bool operator==(const TensorType &o) const {
    return dtype == o.dtype && dims == o.dims;
  }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
  std::string str() const; // "f32[N, 3]"
};

enum class AttrKind { Int, Float, String, Ints, Floats, Dims };
const char *attrKindName(AttrKind k);

struct Attr {
  AttrKind kind = AttrKind::Int;
  bool present = false; // false: "no default, required" in schemas
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  Dims dims;

  static Attr ofInt(int64_t v);
  static Attr ofFloat(double v);
  static Attr ofString(std::string v);
  static Attr ofInts(std::vector<int64_t> v);
  static Attr ofFloats(std::vector<double> v);
  static Attr ofDims(Dims v);
  bool operator==(const Attr &o) const;
};

// Attribute schema of an op, from OpAttrs.def.
struct AttrSpec {
  const char *name;
  AttrKind kind;
  Attr defaultValue; // !present: required
};
const std::vector<AttrSpec> &attrSpecs(OpKind op);
const AttrSpec *findAttrSpec(OpKind op, const std::string &name);

// How a parameter gets its first values: an initializer such as
// he_normal(seed=1), literal data, or an external file.
struct InitSpec {
  std::string kind;                   // "" when data is literal
  std::map<std::string, double> args; // seed, value, low, high, mean, std, ...
};

class Node;

enum class ValueKind { Input, Param, State, Const, Result };

class Value {
public:
  std::string name;
  TensorType type;
  ValueKind kind = ValueKind::Result;
  Node *producer = nullptr; // for results
  int resultIndex = 0;

  // Params, states and constants.
  std::optional<Tensor> data;
  InitSpec init;       // params and states without literal data
  std::string dataRef; // "w.npy": data was loaded from this file
  bool trainable = true;

  bool isParam() const { return kind == ValueKind::Param; }
  bool isState() const { return kind == ValueKind::State; }
  // Params and states: values that live across runs.
  bool isPersistent() const { return isParam() || isState(); }
  bool isConst() const { return kind == ValueKind::Const; }
};

class Node {
public:
  OpKind op;
  std::string name;
  std::vector<Value *> inputs; // nullptr: an absent optional input
  std::vector<Value *> outputs;
  std::map<std::string, Attr> attrs;

  // Attribute value or the schema default.
  const Attr &attr(const std::string &name) const;
  int64_t getInt(const std::string &n) const { return attr(n).i; }
  double getFloat(const std::string &n) const { return attr(n).f; }
  const std::string &getString(const std::string &n) const {
    return attr(n).s;
  }
  const std::vector<int64_t> &getInts(const std::string &n) const {
    return attr(n).ints;
  }
  const Dims &getDims(const std::string &n) const { return attr(n).dims; }
  bool hasInput(size_t i) const {
    return i < inputs.size() && inputs[i] != nullptr;
  }
  // "node 'conv1' (Conv)"
  std::string describe() const;
};

class Graph {
public:
  std::string name = "main";
  // Where the graph came from ("model.onnx"), for error messages.
  std::string sourcePath;
  // How to train it, when the model says (a .dlg train block).
  TrainSpec train;

  // A deep copy (values, nodes, outputs, updates, train spec); tensor data
  // is shared, as Tensor copies share buffers.
  std::unique_ptr<Graph> clone() const;

  Value *addInput(const std::string &name, TensorType type);
  Value *addParam(const std::string &name, TensorType type);
  Value *addState(const std::string &name, TensorType type);
  Value *addConst(const std::string &name, Tensor data);
  // Appends a node whose outputs get the given names (made unique) and no type
  // yet. Use Builder (ir/Builder.h) to add nodes with inferred types.
  Node *addNode(OpKind op, const std::string &nodeName,
                std::vector<Value *> inputs, std::map<std::string, Attr> attrs,
                const std::vector<std::string> &outputNames);
  // Appends one more result to an existing node (untyped until inference).
  Value *addResult(Node *n, const std::string &name);
  // Drops n's results from index `keep` on; none of them may be in use.
  void dropResults(Node *n, size_t keep);
  // A parameter becomes state: kept across runs, never trained.
  void makeState(Value *param);
  void addOutput(const std::string &name, Value *v);
  // After a run, `target` (a param or state) takes the value of `value`.
  void addUpdate(Value *target, Value *value);

  const std::vector<Value *> &inputs() const { return inputs_; }
  const std::vector<Value *> &params() const { return params_; }
  const std::vector<Value *> &states() const { return states_; }
  const std::vector<Value *> &consts() const { return consts_; }
  const std::vector<std::pair<Value *, Value *>> &updates() const {
    return updates_;
  }
  const std::vector<std::pair<std::string, Value *>> &outputs() const {
    return outputs_;
  }
  std::vector<std::pair<std::string, Value *>> &outputs() { return outputs_; }
  const std::vector<std::unique_ptr<Node>> &nodes() const { return nodes_; }

  Value *lookup(const std::string &name) const;
  bool hasName(const std::string &name) const {
    return byName_.count(name) != 0;
  }
  // `base` if free, else base_1, base_2, ...
  std::string uniqueName(const std::string &base) const;
  std::string uniqueNodeName(const std::string &base) const;

  // Replaces every use of `from` (node inputs, graph outputs, update values)
  // by `to`.
  void replaceAllUses(Value *from, Value *to);
  // Removes nodes none of whose outputs reach a graph output or an update,
  // and unused constants; keeps inputs, params and states. Returns whether anything was removed.
  bool removeDeadCode();
  // Reorders nodes topologically (stable). Fails on a cycle, naming a node on it.
  Status topoSort();
  // Removes values that nothing defines or uses any more (after rewrites).
  void removeValue(Value *v);
  // Number of uses of each value by nodes, graph outputs and updates.
  std::map<const Value *, int> useCounts() const;

private:
  Value *newValue(const std::string &name, ValueKind kind);
  std::vector<std::unique_ptr<Value>> values_;
  std::map<std::string, Value *> byName_;
  std::map<std::string, Node *> nodeByName_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Value *> inputs_, params_, states_, consts_;
  std::vector<std::pair<std::string, Value *>> outputs_;
  std::vector<std::pair<Value *, Value *>> updates_; // (target, new value)
};

} // namespace dlc
