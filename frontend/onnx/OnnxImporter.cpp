// ONNX model -> IR graph: protobuf reading, opset checks, the up-front scan
// for unsupported ops, name and order checks, initializers in every storage
// form (typed fields, raw_data, external files), graph inputs and outputs, and
// the per-node context the op table (OnnxOps.cpp) builds through. The input
// is untrusted (fuzzed): every count, size and index read from the protobuf is
// checked before it is used, and every problem is an Error, never a crash.
#include "frontend/onnx/OnnxInternal.h"

#include <onnx/defs/schema.h>

#include "ir/Verifier.h"

#include <algorithm>
#include <cctype>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace dlc {
namespace onnximport {

namespace fs = std::filesystem;

// Tensors larger than this are refused rather than allocated (a hostile dims
// field must not turn into a huge allocation).
static constexpr int64_t kMaxTensorBytes = int64_t(1) << 34;

//===----------------------------------------------------------------------===//
// Numbers and dtypes
//===----------------------------------------------------------------------===//

double floatToShortestDouble(float f) {
  if (!std::isfinite(f))
    return static_cast<double>(f);
  char buf[48];
  for (int p = 1; p <= 9; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, static_cast<double>(f));
    if (std::strtof(buf, nullptr) == f)
      break;
  }
  return std::strtod(buf, nullptr);
}

double roundDecimal(double v) {
  if (!std::isfinite(v))
    return v;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return std::strtod(buf, nullptr);
}

std::string onnxDTypeName(int32_t elemType) {
  if (!onnx::TensorProto_DataType_IsValid(elemType))
    return "dtype " + std::to_string(elemType);
  std::string s = onnx::TensorProto_DataType_Name(
      static_cast<onnx::TensorProto_DataType>(elemType));
  for (char &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Expected<DType> dtypeFromOnnx(int32_t elemType) {
  switch (elemType) {
  case onnx::TensorProto::FLOAT: return DType::F32;
  case onnx::TensorProto::DOUBLE: return DType::F64;
  case onnx::TensorProto::FLOAT16: return DType::F16;
  case onnx::TensorProto::INT64: return DType::I64;
  case onnx::TensorProto::INT32: return DType::I32;
  case onnx::TensorProto::INT8: return DType::I8;
  case onnx::TensorProto::UINT8: return DType::U8;
  case onnx::TensorProto::BOOL: return DType::Bool;
  default:
    return Error("unsupported dtype " + onnxDTypeName(elemType));
  }
}

TensorType typeOfKnown(const Known &k) {
  if (k.tensor)
    return TensorType::of(k.tensor->dtype(), k.tensor->shape());
  TensorType t;
  t.dtype = k.dtype;
  if (!k.scalar)
    t.dims = {Dim(static_cast<int64_t>(k.dims ? k.dims->size() : 0))};
  return t;
}

std::optional<Dims> knownDims(const Known &k) {
  if (k.dims)
    return k.dims;
  if (!k.tensor || dlrt::isFloat(k.tensor->dtype()) || k.tensor->rank() > 1)
    return std::nullopt;
  Dims d;
  for (int64_t i = 0; i < k.tensor->numel(); ++i)
    d.push_back(Dim(k.tensor->getInt(i)));
  return d;
}

Known knownFromDims(Dims d, bool scalar, DType dtype) {
  Known k;
  k.scalar = scalar;
  k.dtype = dtype;
  bool allStatic = std::all_of(d.begin(), d.end(),
                               [](const Dim &x) { return x.isStatic(); });
  if (allStatic) {
    std::vector<int64_t> shape;
    if (!scalar)
      shape.push_back(static_cast<int64_t>(d.size()));
    Tensor t(dtype, shape);
    for (size_t i = 0; i < d.size(); ++i) {
      int64_t v = d[i].value;
      switch (dtype) {
      case DType::I64: t.data<int64_t>()[i] = v; break;
      case DType::I32: t.data<int32_t>()[i] = static_cast<int32_t>(v); break;
      default: t.setDouble(static_cast<int64_t>(i), static_cast<double>(v));
      }
    }
    k.tensor = std::move(t);
  }
  k.dims = std::move(d);
  return k;
}

Known knownFromTensor(Tensor t) {
  Known k;
  k.tensor = std::move(t);
  return k;
}

//===----------------------------------------------------------------------===//
// TensorProto decoding
//===----------------------------------------------------------------------===//

static Expected<std::vector<int64_t>> checkedShape(
    const google::protobuf::RepeatedField<int64_t> &dims, DType dt) {
  std::vector<int64_t> shape;
  int64_t bytes = static_cast<int64_t>(dlrt::dtypeSize(dt));
  for (int64_t d : dims) {
    if (d < 0)
      return Error("has a negative dim (" + std::to_string(d) + ")");
    if (d != 0 && bytes > kMaxTensorBytes / d)
      return Error("is too large (dims " + dlrt::shapeString({dims.begin(), dims.end()}) + ")");
    bytes *= d;
    shape.push_back(d);
  }
  return shape;
}

static bool hasDotDot(const fs::path &p) {
  for (const fs::path &part : p)
    if (part == "..")
      return true;
  return false;
}

static Expected<int64_t> parseCount(const std::string &key,
                                    const std::string &s) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0)
    return Error("external data " + key + " '" + s + "' is not a valid number");
  return v;
}

static Status readExternal(const onnx::TensorProto &tp,
                           const std::string &baseDir, Tensor &t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : tp.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset") {
      DLC_TRY(v, parseCount("offset", kv.value()));
      offset = v;
    } else if (kv.key() == "length") {
      DLC_TRY(v, parseCount("length", kv.value()));
      length = v;
    }
  }
  if (location.empty())
    return Error("external data has no location");
  if (baseDir.empty())
    return Error("external data '" + location +
                 "' cannot be read: the model was not loaded from a file");
  fs::path rel(location);
  if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory() ||
      hasDotDot(rel) || location.find('\0') != std::string::npos)
    return Error("external data location '" + location +
                 "' escapes the model's folder");
  std::error_code ec;
  fs::path base = fs::weakly_canonical(fs::path(baseDir), ec);
  fs::path full = fs::weakly_canonical(fs::path(baseDir) / rel, ec);
  if (ec)
    return Error("external data '" + location + "': " + ec.message());
  // Symbolic links may still lead out of the folder.
  fs::path relToBase = full.lexically_relative(base);
  if (relToBase.empty() || hasDotDot(relToBase))
    return Error("external data location '" + location +
                 "' escapes the model's folder");
  int64_t want = static_cast<int64_t>(t.byteSize());
  if (length >= 0 && length != want)
    return Error("external data length " + std::to_string(length) +
                 " does not match the " + std::to_string(want) +
                 " bytes of the tensor");
  std::ifstream f(full, std::ios::binary);
  if (!f)
    return Error("cannot open external data file '" + location + "'");
  f.seekg(0, std::ios::end);
  int64_t size = static_cast<int64_t>(f.tellg());
  if (size < 0 || offset > size || want > size - offset)
    return Error("external data file '" + location + "' is too short (" +
                 std::to_string(size) + " bytes; need " + std::to_string(want) +
                 " at offset " + std::to_string(offset) + ")");
  f.seekg(offset);
  if (want > 0 && !f.read(static_cast<char *>(t.raw()), want))
    return Error("cannot read external data file '" + location + "'");
  return Status::ok();
}

// Copies a typed repeated field into `t`, checking its length.
template <typename Field, typename Fn>
static Status copyTyped(const Field &field, const char *fieldName, Tensor &t,
                        Fn store) {
  int64_t n = t.numel();
  if (field.size() != n)
    return Error("has " + std::to_string(field.size()) + " values in " +
                 fieldName + ", expected " + std::to_string(n));
  for (int64_t i = 0; i < n; ++i)
    store(i, field.Get(static_cast<int>(i)));
  return Status::ok();
}

Expected<Tensor> tensorFromProto(const onnx::TensorProto &tp,
                                 const std::string &baseDir) {
  DLC_TRY(dt, dtypeFromOnnx(tp.data_type()));
  DLC_TRY(shape, checkedShape(tp.dims(), dt));
  if (tp.has_segment())
    return Error("segmented tensors are not supported");
  Tensor t(dt, shape);
  int64_t n = t.numel();
  if (tp.data_location() == onnx::TensorProto::EXTERNAL) {
    DLC_CHECK(readExternal(tp, baseDir, t));
    return t;
  }
  if (tp.has_raw_data()) {
    const std::string &raw = tp.raw_data();
    if (raw.size() != t.byteSize())
      return Error("raw_data has " + std::to_string(raw.size()) +
                   " bytes, expected " + std::to_string(t.byteSize()) + " for " +
                   std::string(dlrt::dtypeName(dt)) + dlrt::shapeString(shape));
    if (!raw.empty())
      std::memcpy(t.raw(), raw.data(), raw.size());
    if (dt == DType::Bool) // any non-zero byte is true
      for (int64_t i = 0; i < n; ++i)
        t.data<uint8_t>()[i] = t.data<uint8_t>()[i] != 0;
    return t;
  }
  if (n == 0)
    return t;
  Status s;
  switch (dt) {
  case DType::F32:
    s = copyTyped(tp.float_data(), "float_data", t,
                  [&](int64_t i, float v) { t.data<float>()[i] = v; });
    break;
  case DType::F64:
    s = copyTyped(tp.double_data(), "double_data", t,
                  [&](int64_t i, double v) { t.data<double>()[i] = v; });
    break;
  case DType::I64:
    s = copyTyped(tp.int64_data(), "int64_data", t,
                  [&](int64_t i, int64_t v) { t.data<int64_t>()[i] = v; });
    break;
  case DType::I32:
    s = copyTyped(tp.int32_data(), "int32_data", t,
                  [&](int64_t i, int32_t v) { t.data<int32_t>()[i] = v; });
    break;
  case DType::F16: // the 16 bits sit in the low half of each int32
    s = copyTyped(tp.int32_data(), "int32_data", t, [&](int64_t i, int32_t v) {
      t.data<uint16_t>()[i] = static_cast<uint16_t>(static_cast<uint32_t>(v));
    });
    break;
  case DType::I8:
    s = copyTyped(tp.int32_data(), "int32_data", t, [&](int64_t i, int32_t v) {
      t.data<int8_t>()[i] = static_cast<int8_t>(v);
    });
    break;
  case DType::U8:
    s = copyTyped(tp.int32_data(), "int32_data", t, [&](int64_t i, int32_t v) {
      t.data<uint8_t>()[i] = static_cast<uint8_t>(v);
    });
    break;
  case DType::Bool:
    s = copyTyped(tp.int32_data(), "int32_data", t,
                  [&](int64_t i, int32_t v) { t.data<uint8_t>()[i] = v != 0; });
    break;
  }
  if (!s)
    return s.takeError();
  return t;
}

//===----------------------------------------------------------------------===//
// OpCtx
//===----------------------------------------------------------------------===//

OpCtx::OpCtx(Importer &imp, const onnx::NodeProto &node, std::string nodeName,
             int opset)
    : imp_(imp), node_(node), nodeName_(std::move(nodeName)), opset_(opset) {}

Error OpCtx::error(const std::string &msg) const {
  return Error("node '" + nodeName_ + "' (" + opType() + "): " + msg);
}

// Errors from Builder name the IR node ("node 'x' (MatMul): ..."); the user
// knows the ONNX node, so that prefix is replaced.
Error OpCtx::rewrap(const Error &e) const {
  const std::string &m = e.message();
  if (m.rfind("node '", 0) == 0) {
    size_t p = m.find("): ");
    if (p != std::string::npos)
      return error(m.substr(p + 3));
  }
  return error(m);
}

Status OpCtx::require(size_t i) const {
  if (!has(i))
    return error("input " + std::to_string(i) + " is required");
  return Status::ok();
}

Expected<Value *> OpCtx::in(size_t i) {
  DLC_CHECK(require(i));
  EntryPtr e = imp_.lookup(inName(i));
  DLC_ASSERT(e, "inputs are checked before import");
  auto v = imp_.materialize(*e);
  if (!v)
    return error(v.error().message());
  return *v;
}

const TensorType &OpCtx::type(size_t i) const {
  EntryPtr e = imp_.lookup(inName(i));
  DLC_ASSERT(e, "inputs are checked before import");
  return e->type;
}

const Known *OpCtx::known(size_t i) const {
  if (!has(i))
    return nullptr;
  EntryPtr e = imp_.lookup(inName(i));
  return e && e->known ? &*e->known : nullptr;
}

bool OpCtx::allKnown() const {
  for (size_t i = 0; i < numInputs(); ++i) {
    if (!has(i))
      continue;
    // Float initializers are trainable parameters, not constants to fold;
    // integer ones (shapes, indices) are.
    const Known *k = known(i);
    if (!k || (k->fromParam && k->tensor && dlrt::isFloat(k->tensor->dtype())))
      return false;
  }
  return true;
}

Expected<Tensor> OpCtx::constTensor(size_t i, const char *what) const {
  DLC_CHECK(require(i));
  const Known *k = known(i);
  if (!k || !k->tensor)
    return error("input '" + inName(i) + "' (" + what +
                 ") must be a constant known at import time");
  return *k->tensor;
}

Expected<std::vector<int64_t>> OpCtx::constInts(size_t i,
                                                const char *what) const {
  DLC_TRY(t, constTensor(i, what));
  if (dlrt::isFloat(t.dtype()) || t.rank() > 1)
    return error("input '" + inName(i) + "' (" + what +
                 ") must be a 1-D integer tensor, got " +
                 TensorType::of(t.dtype(), t.shape()).str());
  std::vector<int64_t> v;
  for (int64_t j = 0; j < t.numel(); ++j)
    v.push_back(t.getInt(j));
  return v;
}

Expected<Dims> OpCtx::constDims(size_t i, const char *what) const {
  DLC_CHECK(require(i));
  const Known *k = known(i);
  std::optional<Dims> d = k ? knownDims(*k) : std::nullopt;
  if (!d)
    return error("input '" + inName(i) + "' (" + what +
                 ") must be a constant known at import time");
  return *d;
}

Expected<double> OpCtx::constScalar(size_t i, const char *what) const {
  DLC_TRY(t, constTensor(i, what));
  if (t.numel() != 1)
    return error("input '" + inName(i) + "' (" + what +
                 ") must have one element, got " +
                 TensorType::of(t.dtype(), t.shape()).str());
  return t.getDouble(0);
}

static EntryPtr newEntry(const std::string &name) {
  auto e = std::make_shared<Entry>();
  e->name = name;
  return e;
}

void OpCtx::setValue(size_t i, Value *v) {
  if (!hasOutput(i))
    return;
  EntryPtr e = newEntry(outName(i));
  e->value = v;
  e->type = v->type;
  imp_.define(outName(i), e);
}

void OpCtx::setKnown(size_t i, Known k) {
  if (!hasOutput(i))
    return;
  EntryPtr e = newEntry(outName(i));
  e->type = typeOfKnown(k);
  e->known = std::move(k);
  imp_.define(outName(i), e);
}

void OpCtx::alias(size_t out, size_t in) {
  if (hasOutput(out))
    imp_.define(outName(out), imp_.lookup(inName(in)));
}

void OpCtx::setUnavailable(size_t i, const std::string &why) {
  if (!hasOutput(i))
    return;
  EntryPtr e = newEntry(outName(i));
  e->unavailable = "output '" + outName(i) + "' of node '" + nodeName_ +
                   "' (" + opType() + ") " + why;
  imp_.define(outName(i), e);
}

static const char *attrTypeName(int t) {
  switch (t) {
  case onnx::AttributeProto::FLOAT: return "a float";
  case onnx::AttributeProto::INT: return "an int";
  case onnx::AttributeProto::STRING: return "a string";
  case onnx::AttributeProto::TENSOR: return "a tensor";
  case onnx::AttributeProto::GRAPH: return "a graph";
  case onnx::AttributeProto::FLOATS: return "a float list";
  case onnx::AttributeProto::INTS: return "an int list";
  case onnx::AttributeProto::STRINGS: return "a string list";
  case onnx::AttributeProto::TENSORS: return "a tensor list";
  case onnx::AttributeProto::GRAPHS: return "a graph list";
  case onnx::AttributeProto::SPARSE_TENSOR: return "a sparse tensor";
  default: return "of unknown type";
  }
}

// Old exporters leave `type` unset; then the filled field tells.
static int attrType(const onnx::AttributeProto &a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED)
    return a.type();
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.floats_size()) return onnx::AttributeProto::FLOATS;
  if (a.ints_size()) return onnx::AttributeProto::INTS;
  if (a.strings_size()) return onnx::AttributeProto::STRINGS;
  return onnx::AttributeProto::UNDEFINED;
}

bool OpCtx::hasAttr(const std::string &name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return true;
  return false;
}

Expected<const onnx::AttributeProto *>
OpCtx::findAttr(const std::string &name,
                onnx::AttributeProto::AttributeType want,
                const char *wantName) const {
  for (const auto &a : node_.attribute()) {
    if (a.name() != name)
      continue;
    int t = attrType(a);
    // An empty list has no filled field to tell its type by.
    bool emptyList = t == onnx::AttributeProto::UNDEFINED &&
                     (want == onnx::AttributeProto::INTS ||
                      want == onnx::AttributeProto::FLOATS);
    if (t != want && !emptyList)
      return error("attribute '" + name + "' must be " + wantName + ", got " +
                   attrTypeName(t));
    return &a;
  }
  return static_cast<const onnx::AttributeProto *>(nullptr);
}

Expected<int64_t> OpCtx::attrInt(const std::string &name, int64_t dflt) const {
  DLC_TRY(a, findAttr(name, onnx::AttributeProto::INT, "an int"));
  return a ? a->i() : dflt;
}

Expected<double> OpCtx::attrFloat(const std::string &name, double dflt) const {
  DLC_TRY(a, findAttr(name, onnx::AttributeProto::FLOAT, "a float"));
  return a ? floatToShortestDouble(a->f()) : dflt;
}

Expected<std::string> OpCtx::attrString(const std::string &name,
                                        const std::string &dflt) const {
  DLC_TRY(a, findAttr(name, onnx::AttributeProto::STRING, "a string"));
  return a ? a->s() : dflt;
}

Expected<std::vector<int64_t>> OpCtx::attrInts(const std::string &name) const {
  DLC_TRY(a, findAttr(name, onnx::AttributeProto::INTS, "an int list"));
  if (!a)
    return std::vector<int64_t>{};
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

Expected<std::vector<double>>
OpCtx::attrFloats(const std::string &name) const {
  DLC_TRY(a, findAttr(name, onnx::AttributeProto::FLOATS, "a float list"));
  std::vector<double> v;
  if (a)
    for (float f : a->floats())
      v.push_back(floatToShortestDouble(f));
  return v;
}

Expected<const onnx::TensorProto *>
OpCtx::attrTensor(const std::string &name) const {
  DLC_TRY(a, findAttr(name, onnx::AttributeProto::TENSOR, "a tensor"));
  return a ? &a->t() : nullptr;
}

Expected<Node *> OpCtx::emitMulti(OpKind op, std::vector<Value *> ins,
                                  std::map<std::string, Attr> attrs,
                                  const std::vector<std::string> &outNames) {
  std::vector<std::string> names;
  for (size_t i = 0; i < outNames.size(); ++i)
    names.push_back(outNames[i].empty()
                        ? imp_.freshName(nodeName_ + "_out" + std::to_string(i))
                        : outNames[i]);
  auto n = imp_.builder().addMulti(op, std::move(ins), std::move(attrs),
                                   nodeName_, names);
  if (!n)
    return rewrap(n.error());
  emittedMain_ = true;
  return *n;
}

Expected<Value *> OpCtx::emitOut(OpKind op, std::vector<Value *> ins,
                                 std::map<std::string, Attr> attrs,
                                 size_t out) {
  std::string name = hasOutput(out)
                         ? outName(out)
                         : imp_.freshName(nodeName_ + "_out" +
                                          std::to_string(out));
  auto n = imp_.builder().addMulti(op, std::move(ins), std::move(attrs),
                                   nodeName_, {name});
  if (!n)
    return rewrap(n.error());
  setValue(out, (*n)->outputs[0]);
  return (*n)->outputs[0];
}

Expected<Value *> OpCtx::emitTmp(OpKind op, std::vector<Value *> ins,
                                 std::map<std::string, Attr> attrs,
                                 const std::string &tag) {
  std::string base = hasOutput(0) ? outName(0) : nodeName_;
  std::string name = imp_.freshName(base + "_" + tag);
  auto n = imp_.builder().addMulti(op, std::move(ins), std::move(attrs), name,
                                   {name});
  if (!n)
    return rewrap(n.error());
  return (*n)->outputs[0];
}

Value *OpCtx::tensorConst(Tensor t, const std::string &tag) {
  std::string base = hasOutput(0) ? outName(0) : nodeName_;
  return imp_.graph().addConst(imp_.freshName(base + "_" + tag), std::move(t));
}

Value *OpCtx::scalarConst(DType t, double v, const std::string &tag) {
  return tensorConst(Tensor::scalar(t, v), tag);
}

//===----------------------------------------------------------------------===//
// Importer
//===----------------------------------------------------------------------===//

Importer::Importer(std::string displayName, std::string baseDir)
    : display_(std::move(displayName)), baseDir_(std::move(baseDir)),
      g_(std::make_unique<Graph>()), b_(*g_) {}

std::string Importer::fileError(const std::string &msg) const {
  return display_ + ": " + msg;
}

EntryPtr Importer::lookup(const std::string &name) const {
  auto it = env_.find(name);
  return it == env_.end() ? nullptr : it->second;
}

void Importer::define(const std::string &name, EntryPtr e) { env_[name] = e; }

std::string Importer::freshName(const std::string &base) const {
  if (!g_->hasName(base) && !onnxNames_.count(base))
    return base;
  for (int i = 1;; ++i) {
    std::string n = base + "_" + std::to_string(i);
    if (!g_->hasName(n) && !onnxNames_.count(n))
      return n;
  }
}

Expected<Value *> Importer::materialize(Entry &e) {
  if (e.value)
    return e.value;
  if (!e.unavailable.empty())
    return Error(e.unavailable);
  DLC_ASSERT(e.known, "an entry is a value, a known value or unavailable");
  const Known &k = *e.known;
  if (!k.tensor)
    return Error("'" + e.name + "' is " + dimsString(*k.dims) +
                 ", computed from symbolic dims; it cannot be used as a "
                 "run-time tensor");
  std::string name = g_->hasName(e.name) ? freshName(e.name) : e.name;
  if (k.fromParam) {
    Value *v = g_->addParam(name, typeOfKnown(k));
    v->data = *k.tensor;
    // Integer initializers (indices, shapes) cannot be trained.
    v->trainable = dlrt::isFloat(k.tensor->dtype());
    e.value = v;
  } else {
    e.value = g_->addConst(name, *k.tensor);
  }
  return e.value;
}

static bool isDefaultDomain(const std::string &d) {
  return d.empty() || d == "ai.onnx";
}

static std::string nodeDisplayName(const onnx::NodeProto &n, size_t index) {
  return n.name().empty() ? n.op_type() + "_" + std::to_string(index)
                          : n.name();
}

// Every value defined once; every node input defined by a graph input, an
// initializer or a node. Nodes out of order are sorted (Kahn, stable); a true
// cycle is an error.
Status Importer::checkNames(const onnx::GraphProto &gp,
                            std::vector<const onnx::NodeProto *> &order) {
  std::map<std::string, std::string> definer; // value -> what defines it
  auto defineName = [&](const std::string &name,
                        const std::string &what) -> Status {
    if (name.empty())
      return Status::ok();
    auto [it, fresh] = definer.emplace(name, what);
    if (!fresh)
      return Error(fileError("value '" + name + "' is defined twice (by " +
                             it->second + " and " + what + ")"));
    onnxNames_.insert(name);
    return Status::ok();
  };
  for (const auto &t : gp.initializer()) {
    if (t.name().empty())
      return Error(fileError("an initializer has no name"));
    DLC_CHECK(defineName(t.name(), "initializer '" + t.name() + "'"));
  }
  std::set<std::string> inits;
  for (const auto &t : gp.initializer())
    inits.insert(t.name());
  std::set<std::string> inputNames;
  for (const auto &vi : gp.input()) {
    if (vi.name().empty())
      return Error(fileError("a graph input has no name"));
    if (!inputNames.insert(vi.name()).second)
      return Error(fileError("graph input '" + vi.name() + "' is listed twice"));
    if (!inits.count(vi.name()))
      DLC_CHECK(defineName(vi.name(), "graph input '" + vi.name() + "'"));
  }
  std::map<std::string, size_t> producer;
  size_t numNodes = static_cast<size_t>(gp.node_size());
  for (size_t i = 0; i < numNodes; ++i) {
    const auto &n = gp.node(static_cast<int>(i));
    for (const auto &o : n.output()) {
      DLC_CHECK(defineName(o, "node '" + nodeDisplayName(n, i) + "'"));
      if (!o.empty())
        producer[o] = i;
    }
  }
  for (size_t i = 0; i < numNodes; ++i) {
    const auto &n = gp.node(static_cast<int>(i));
    for (const auto &in : n.input())
      if (!in.empty() && !definer.count(in))
        return Error(fileError("node '" + nodeDisplayName(n, i) + "' (" +
                               n.op_type() + "): input '" + in +
                               "' is not defined by any node, initializer or "
                               "graph input"));
  }
  for (const auto &o : gp.output())
    if (!definer.count(o.name()))
      return Error(fileError("graph output '" + o.name() + "' is not defined"));
  // Kahn's algorithm, always taking the lowest-index ready node.
  std::vector<size_t> pending(numNodes, 0);
  std::vector<std::vector<size_t>> users(numNodes);
  for (size_t i = 0; i < numNodes; ++i) {
    std::set<size_t> deps;
    for (const auto &in : gp.node(static_cast<int>(i)).input()) {
      auto it = producer.find(in);
      if (!in.empty() && it != producer.end())
        deps.insert(it->second);
    }
    pending[i] = deps.size();
    for (size_t d : deps)
      users[d].push_back(i);
  }
  std::set<size_t> ready;
  for (size_t i = 0; i < numNodes; ++i)
    if (!pending[i])
      ready.insert(i);
  while (!ready.empty()) {
    size_t i = *ready.begin();
    ready.erase(ready.begin());
    order.push_back(&gp.node(static_cast<int>(i)));
    for (size_t u : users[i])
      if (--pending[u] == 0)
        ready.insert(u);
  }
  if (order.size() != numNodes) {
    for (size_t i = 0; i < numNodes; ++i)
      if (pending[i]) {
        const auto &n = gp.node(static_cast<int>(i));
        return Error(fileError("node '" + nodeDisplayName(n, i) + "' (" +
                               n.op_type() +
                               ") is on a cycle: its inputs depend on its "
                               "own outputs"));
      }
  }
  return Status::ok();
}

Status Importer::addGraphInput(const onnx::ValueInfoProto &vi) {
  auto bad = [&](const std::string &what) {
    return Error(fileError("graph input '" + vi.name() + "' " + what));
  };
  if (!vi.has_type() || !vi.type().has_tensor_type())
    return bad("is not a tensor");
  const auto &tt = vi.type().tensor_type();
  auto dt = dtypeFromOnnx(tt.elem_type());
  if (!dt)
    return bad("has an " + dt.error().message());
  if (!tt.has_shape())
    return bad("has no shape");
  TensorType type;
  type.dtype = *dt;
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    const auto &d = tt.shape().dim(i);
    if (d.has_dim_value()) {
      if (d.dim_value() < 0)
        return bad("has a negative dim at axis " + std::to_string(i));
      if (d.dim_value() > (int64_t(1) << 40))
        return bad("has a dim too large at axis " + std::to_string(i));
      type.dims.push_back(Dim(d.dim_value()));
    } else if (d.has_dim_param() && !d.dim_param().empty()) {
      type.dims.push_back(Dim(d.dim_param()));
    } else {
      return bad("has an unknown dim at axis " + std::to_string(i) +
                 " (neither a value nor a name)");
    }
  }
  Value *v = g_->addInput(vi.name(), type);
  EntryPtr e = newEntry(vi.name());
  e->value = v;
  e->type = type;
  define(vi.name(), e);
  return Status::ok();
}

Expected<std::unique_ptr<Graph>> Importer::run(const onnx::ModelProto &m) {
  if (!m.has_graph())
    return Error(fileError("not an ONNX model (no graph)"));
  const onnx::GraphProto &gp = m.graph();
  g_->sourcePath = display_;
  if (!gp.name().empty())
    g_->name = gp.name();


  // All unsupported ops at once, in order of first appearance.
  {
    std::vector<std::string> kinds;
    std::map<std::string, std::vector<std::string>> where;
    const auto &table = opTable();
    for (int i = 0; i < gp.node_size(); ++i) {
      const auto &n = gp.node(i);
      bool ok = isDefaultDomain(n.domain()) && table.count(n.op_type());
      if (ok)
        continue;
      std::string kind = isDefaultDomain(n.domain())
                             ? n.op_type()
                             : n.domain() + "." + n.op_type();
      if (!where.count(kind))
        kinds.push_back(kind);
      where[kind].push_back(nodeDisplayName(n, static_cast<size_t>(i)));
    }
    if (!kinds.empty()) {
      std::string msg = "unsupported ops: ";
      for (size_t k = 0; k < kinds.size(); ++k) {
        const auto &names = where[kinds[k]];
        msg += (k ? "; " : "") + kinds[k] +
               (names.size() == 1 ? " (node " : " (nodes ");
        for (size_t j = 0; j < names.size(); ++j)
          msg += (j ? ", '" : "'") + names[j] + "'";
        msg += ")";
      }
      return Error(fileError(msg));
    }
  }

  // The default domain's opset decides per-op behaviour.
  int64_t opset = -1;
  for (const auto &imp : m.opset_import())
    if (isDefaultDomain(imp.domain()))
      opset = imp.version();
  if (opset < 0)
    return Error(fileError("the model imports no opset of the default domain"));
  if (opset > 17)
    return Error(fileError("opset " + std::to_string(opset) +
                           " is newer than the supported 17"));
  if (opset < 7) {
    // An older model is fine when each of its ops is defined at its opset
    // exactly as at opset 7 (ONNX's schema registry says which definition is
    // in force); it then imports with opset 7's semantics.
    std::vector<std::string> changed;
    for (const auto &n : gp.node()) {
      auto *old = onnx::OpSchemaRegistry::Schema(n.op_type(), static_cast<int>(opset), "");
      auto *v7 = onnx::OpSchemaRegistry::Schema(n.op_type(), 7, "");
      if (!old || !v7 || old->since_version() != v7->since_version())
        if (std::find(changed.begin(), changed.end(), n.op_type()) == changed.end())
          changed.push_back(n.op_type());
    }
    if (!changed.empty()) {
      std::string list;
      for (const auto &c : changed)
        list += (list.empty() ? "" : ", ") + c;
      return Error(fileError("opset " + std::to_string(opset) +
                             " is older than the supported 7, and these ops changed "
                             "since: " + list));
    }
    opset = 7;
  }

  std::vector<const onnx::NodeProto *> order;
  DLC_CHECK(checkNames(gp, order));

  for (const auto &t : gp.initializer()) {
    auto tensor = tensorFromProto(t, baseDir_);
    if (!tensor)
      return Error(fileError("initializer '" + t.name() + "' " +
                             tensor.error().message()));
    EntryPtr e = newEntry(t.name());
    Known k = knownFromTensor(std::move(*tensor));
    k.fromParam = true;
    e->type = typeOfKnown(k);
    e->known = std::move(k);
    define(t.name(), e);
  }
  std::set<std::string> inits;
  for (const auto &t : gp.initializer())
    inits.insert(t.name());
  for (const auto &vi : gp.input())
    if (!inits.count(vi.name()))
      DLC_CHECK(addGraphInput(vi));

  // Node indices for generated names follow the file's order.
  std::map<const onnx::NodeProto *, size_t> index;
  for (int i = 0; i < gp.node_size(); ++i)
    index[&gp.node(i)] = static_cast<size_t>(i);
  const auto &table = opTable();
  for (const onnx::NodeProto *n : order) {
    OpCtx ctx(*this, *n, nodeDisplayName(*n, index[n]),
              static_cast<int>(opset));
    for (const auto &in : n->input())
      if (EntryPtr e = lookup(in); e && !e->unavailable.empty())
        return Error(fileError(ctx.error(e->unavailable).message()));
    Status s = table.at(n->op_type())(ctx);
    if (!s)
      return Error(fileError(s.error().message()));
    for (size_t i = 0; i < ctx.numOutputs(); ++i)
      if (ctx.hasOutput(i) && !lookup(ctx.outName(i)))
        return Error(fileError(
            ctx.error("output " + std::to_string(i) + " ('" + ctx.outName(i) +
                      "') is not produced by the importer")
                .message()));
  }

  for (const auto &o : gp.output()) {
    EntryPtr e = lookup(o.name());
    DLC_ASSERT(e, "outputs are checked before import");
    auto v = materialize(*e);
    if (!v)
      return Error(fileError("graph output '" + o.name() + "': " +
                             v.error().message()));
    g_->addOutput(o.name(), *v);
  }
  if (Status s = verifyGraph(*g_); !s)
    return Error(fileError(s.error().message()));
  return std::move(g_);
}

} // namespace onnximport

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

static Expected<std::string> readFile(const std::string &path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return Error(path + ": is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f)
    return Error(path + ": cannot open file: " + std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad())
    return Error(path + ": cannot read file");
  return ss.str();
}

Expected<std::unique_ptr<Graph>> importOnnxBytes(const std::string &bytes,
                                                 const std::string &displayName,
                                                 const std::string &baseDir) {
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    return Error(displayName + ": file is larger than 2 GiB; store the "
                               "weights as external data");
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    return Error(displayName +
                 ": not a valid ONNX model (the protobuf does not parse)");
  onnximport::Importer imp(displayName, baseDir);
  return imp.run(model);
}

Expected<std::unique_ptr<Graph>> importOnnxFile(const std::string &path) {
  DLC_TRY(bytes, readFile(path));
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return importOnnxBytes(bytes, path, dir.empty() ? "." : dir.string());
}

Expected<Tensor> readTensorProtoFile(const std::string &path) {
  DLC_TRY(bytes, readFile(path));
  onnx::TensorProto tp;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !tp.ParseFromString(bytes))
    return Error(path + ": not a valid TensorProto (the protobuf does not "
                        "parse)");
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  auto t = onnximport::tensorFromProto(tp, dir.empty() ? "." : dir.string());
  if (!t)
    return Error(path + ": tensor " +
                 (tp.name().empty() ? "" : "'" + tp.name() + "' ") +
                 t.error().message());
  return t;
}

} // namespace dlc
