// Shared state of the ONNX importer: what is known about each ONNX value
// while the graph is assembled (an IR value, a constant, or a shape vector
// with symbolic dims), and the per-node context the op table works through.
// Private to frontend/onnx; OnnxImporter.h is the public interface.
#pragma once

#include "frontend/onnx/OnnxImporter.h"
#include "ir/Builder.h"

#include <onnx/onnx_pb.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace dlc {
namespace onnximport {

// A value computed at import time. Either a constant tensor, or a 0-D/1-D
// integer vector whose elements may be symbolic dims (Shape of an input with
// batch N is [N, 3, 224, 224]); shape-computing chains fold through these.
struct Known {
  std::optional<Tensor> tensor;
  std::optional<Dims> dims; // set for integer vectors (and scalars)
  bool scalar = false;      // dims describe a rank-0 value
  DType dtype = DType::I64; // of dims
  bool fromParam = false;   // an initializer: trainable, not folded
};

// One ONNX value. Identity aliases share the Entry.
struct Entry {
  std::string name;    // defining ONNX name (params take it)
  Value *value = nullptr; // materialized IR value
  std::optional<Known> known;
  TensorType type;
  std::string unavailable; // non-empty: using it is this error
};
using EntryPtr = std::shared_ptr<Entry>;

TensorType typeOfKnown(const Known &k);
// The vector as dims (also for fully static integer tensors of rank <= 1).
std::optional<Dims> knownDims(const Known &k);
Known knownFromDims(Dims d, bool scalar, DType dtype = DType::I64);
Known knownFromTensor(Tensor t);

// ONNX float attributes (float32) as the double whose shortest decimal reads
// back as the same float: 0.01f -> 0.01.
double floatToShortestDouble(float f);
// Rounds a derived double to 15 significant digits: 1 - 0.9 -> 0.1.
double roundDecimal(double v);

Expected<DType> dtypeFromOnnx(int32_t elemType);
std::string onnxDTypeName(int32_t elemType);
// Decodes a TensorProto; external data is read under `baseDir` (empty:
// refused). Errors are unprefixed ("has 3 values, expected 6").
Expected<Tensor> tensorFromProto(const onnx::TensorProto &tp,
                                 const std::string &baseDir);

class Importer;

// What an op handler sees of its node.
class OpCtx {
public:
  OpCtx(Importer &imp, const onnx::NodeProto &node, std::string nodeName,
        int opset);

  const onnx::NodeProto &node() const { return node_; }
  const std::string &nodeName() const { return nodeName_; }
  const std::string &opType() const { return node_.op_type(); }
  int opset() const { return opset_; }

  // Inputs: an empty name is an absent optional input.
  size_t numInputs() const { return node_.input_size(); }
  bool has(size_t i) const {
    return i < numInputs() && !node_.input(static_cast<int>(i)).empty();
  }
  const std::string &inName(size_t i) const {
    return node_.input(static_cast<int>(i));
  }
  Status require(size_t i) const;
  // The IR value (constants and params are created on first use).
  Expected<Value *> in(size_t i);
  const TensorType &type(size_t i) const;
  // Import-time knowledge; null when the value is only known at run time.
  const Known *known(size_t i) const;
  bool allKnown() const; // every present input has a Known, none a param
  // Inputs that must be constants (Reshape's shape, Slice's starts, ...).
  Expected<Tensor> constTensor(size_t i, const char *what) const;
  Expected<std::vector<int64_t>> constInts(size_t i, const char *what) const;
  Expected<Dims> constDims(size_t i, const char *what) const;
  Expected<double> constScalar(size_t i, const char *what) const;

  // Outputs: an empty name is an output the model does not want.
  size_t numOutputs() const { return node_.output_size(); }
  bool hasOutput(size_t i) const {
    return i < numOutputs() && !node_.output(static_cast<int>(i)).empty();
  }
  const std::string &outName(size_t i) const {
    return node_.output(static_cast<int>(i));
  }
  void setValue(size_t i, Value *v);
  void setKnown(size_t i, Known k);
  void alias(size_t out, size_t in);
  void setUnavailable(size_t i, const std::string &why);

  // Attributes; a present attribute of the wrong type is an error.
  bool hasAttr(const std::string &name) const;
  Expected<int64_t> attrInt(const std::string &name, int64_t dflt) const;
  Expected<double> attrFloat(const std::string &name, double dflt) const;
  Expected<std::string> attrString(const std::string &name,
                                   const std::string &dflt) const;
  Expected<std::vector<int64_t>> attrInts(const std::string &name) const;
  Expected<std::vector<double>> attrFloats(const std::string &name) const;
  Expected<const onnx::TensorProto *> attrTensor(const std::string &name) const;

  // Node construction. emitOut builds the node that defines output `out`
  // (named after the ONNX value and node); emitTmp an intermediate one.
  Expected<Value *> emitOut(OpKind op, std::vector<Value *> ins,
                            std::map<std::string, Attr> attrs, size_t out = 0);
  Expected<Value *> emitTmp(OpKind op, std::vector<Value *> ins,
                            std::map<std::string, Attr> attrs,
                            const std::string &tag);
  // A node with several outputs; output names may be empty (generated).
  Expected<Node *> emitMulti(OpKind op, std::vector<Value *> ins,
                             std::map<std::string, Attr> attrs,
                             const std::vector<std::string> &outNames);
  Value *scalarConst(DType t, double v, const std::string &tag);
  Value *tensorConst(Tensor t, const std::string &tag);

  // "node 'conv1' (Conv): <msg>"; the importer prefixes the file.
  Error error(const std::string &msg) const;

private:
  Expected<const onnx::AttributeProto *> findAttr(
      const std::string &name, onnx::AttributeProto::AttributeType want,
      const char *wantName) const;
  Error rewrap(const Error &e) const;

  Importer &imp_;
  const onnx::NodeProto &node_;
  std::string nodeName_;
  int opset_;
  bool emittedMain_ = false;
};

class Importer {
public:
  Importer(std::string displayName, std::string baseDir);
  Expected<std::unique_ptr<Graph>> run(const onnx::ModelProto &model);

  Graph &graph() { return *g_; }
  Builder &builder() { return b_; }
  const std::string &baseDir() const { return baseDir_; }
  EntryPtr lookup(const std::string &name) const;
  void define(const std::string &name, EntryPtr e);
  // A name for an importer-made value that no ONNX value uses.
  std::string freshName(const std::string &base) const;
  Expected<Value *> materialize(Entry &e);

private:
  Status checkNames(const onnx::GraphProto &gp,
                    std::vector<const onnx::NodeProto *> &order);
  Status addGraphInput(const onnx::ValueInfoProto &vi);
  std::string fileError(const std::string &msg) const;

  std::string display_, baseDir_;
  std::unique_ptr<Graph> g_;
  Builder b_;
  std::map<std::string, EntryPtr> env_;
  std::set<std::string> onnxNames_;
};

// The op table (OnnxOps.cpp).
using OpHandler = Status (*)(OpCtx &);
const std::map<std::string, OpHandler> &opTable();

} // namespace onnximport
} // namespace dlc
