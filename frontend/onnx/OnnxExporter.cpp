// IR -> ONNX ModelProto (OnnxExporter.h). One function per op family that
// needs more than a rename; the rest copy the node's explicit attributes,
// whose names and meanings the core ops share with ONNX.
#include "frontend/onnx/OnnxExporter.h"

#include "dlrt/File.h"
#include "frontend/onnx/OnnxInternal.h"
#include "runtime/train/OnnxTensor.h"
#include "training/Initializers.h"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <set>

namespace dlc {

namespace {

constexpr int kOpset = 17;
constexpr int kIrVersion = 8; // the IR version of opset 17

class Exporter {
public:
  explicit Exporter(const Graph &g) : g_(g) {}
  Expected<std::string> run();

private:
  const Graph &g_;
  onnx::ModelProto model_;
  onnx::GraphProto *graph_ = nullptr;
  std::set<std::string> names_; // every value and node name in use

  std::string fresh(const std::string &base);
  onnx::NodeProto *add(const std::string &op, const std::string &name,
                       const std::vector<std::string> &ins, const std::vector<std::string> &outs);
  // A Constant node holding t; returns its output's name.
  std::string constant(const std::string &base, const Tensor &t);
  std::string intsConstant(const std::string &base, const std::vector<int64_t> &v);
  static std::vector<std::string> inputNames(const Node &n);
  static std::vector<std::string> outputNames(const Node &n);
  // The node's attributes that were set, as ONNX attributes (empty lists,
  // meaning "derived", are left for ONNX to derive too), minus `skip`.
  static void copyAttrs(const Node &n, onnx::NodeProto *p, const std::set<std::string> &skip = {});

  Status exportNode(const Node &n);
  Status matMul(const Node &n);
  Status reshapeLike(const Node &n);
  Status withConstInputs(const Node &n);
  Status softplus(const Node &n);
  Status inferenceOnly(const Node &n);
};

void setType(onnx::TypeProto *t, const TensorType &tt) {
  auto *tensor = t->mutable_tensor_type();
  tensor->set_elem_type(dlrt::onnxElemType(tt.dtype));
  auto *shape = tensor->mutable_shape();
  for (const Dim &d : tt.dims) {
    auto *dim = shape->add_dim();
    if (d.isStatic())
      dim->set_dim_value(d.value);
    else
      dim->set_dim_param(d.sym);
  }
}

void attrInt(onnx::NodeProto *p, const std::string &name, int64_t v) {
  auto *a = p->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void attrFloat(onnx::NodeProto *p, const std::string &name, double v) {
  auto *a = p->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(static_cast<float>(v));
}

std::string Exporter::fresh(const std::string &base) {
  std::string n = base;
  for (int i = 1; names_.count(n); ++i)
    n = base + "_" + std::to_string(i);
  names_.insert(n);
  return n;
}

onnx::NodeProto *Exporter::add(const std::string &op, const std::string &name,
                               const std::vector<std::string> &ins,
                               const std::vector<std::string> &outs) {
  onnx::NodeProto *p = graph_->add_node();
  p->set_op_type(op);
  p->set_name(name);
  for (const std::string &i : ins)
    p->add_input(i);
  for (const std::string &o : outs)
    p->add_output(o);
  return p;
}

std::string Exporter::constant(const std::string &base, const Tensor &t) {
  std::string out = fresh(base);
  onnx::NodeProto *p = add("Constant", fresh(base + ".const"), {}, {out});
  auto *a = p->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  dlrt::toOnnxTensor(t, out, *a->mutable_t());
  return out;
}

std::string Exporter::intsConstant(const std::string &base, const std::vector<int64_t> &v) {
  std::vector<double> d(v.begin(), v.end());
  return constant(base, Tensor::fromVector(DType::I64, {static_cast<int64_t>(v.size())}, d));
}

std::vector<std::string> Exporter::inputNames(const Node &n) {
  std::vector<std::string> r;
  for (const Value *v : n.inputs)
    r.push_back(v ? v->name : "");
  return r;
}

std::vector<std::string> Exporter::outputNames(const Node &n) {
  std::vector<std::string> r;
  for (const Value *v : n.outputs)
    r.push_back(v->name);
  return r;
}

void Exporter::copyAttrs(const Node &n, onnx::NodeProto *p, const std::set<std::string> &skip) {
  for (const auto &[name, a] : n.attrs) {
    if (skip.count(name))
      continue;
    switch (a.kind) {
    case AttrKind::Int:
      attrInt(p, name, a.i);
      break;
    case AttrKind::Float:
      attrFloat(p, name, a.f);
      break;
    case AttrKind::String: {
      auto *o = p->add_attribute();
      o->set_name(name);
      o->set_type(onnx::AttributeProto::STRING);
      o->set_s(a.s);
      break;
    }
    case AttrKind::Ints:
      if (!a.ints.empty()) {
        auto *o = p->add_attribute();
        o->set_name(name);
        o->set_type(onnx::AttributeProto::INTS);
        for (int64_t v : a.ints)
          o->add_ints(v);
      }
      break;
    case AttrKind::Floats:
      if (!a.floats.empty()) {
        auto *o = p->add_attribute();
        o->set_name(name);
        o->set_type(onnx::AttributeProto::FLOATS);
        for (double v : a.floats)
          o->add_floats(static_cast<float>(v));
      }
      break;
    case AttrKind::Dims: // only Reshape and Expand have them; both handled
                         // apart
      break;
    }
  }
}

// MatMul with transposes: Gemm where both sides are 2-D (what PyTorch's
// exporter writes for nn.Linear, and what dlc imports back as the same
// MatMul), else a Transpose of the last two axes in front of MatMul.
Status Exporter::matMul(const Node &n) {
  bool ta = n.getInt("transA") != 0, tb = n.getInt("transB") != 0;
  std::vector<std::string> ins = inputNames(n);
  if (!ta && !tb) {
    add("MatMul", n.name, ins, outputNames(n));
    return Status::ok();
  }
  if (n.inputs[0]->type.rank() == 2 && n.inputs[1]->type.rank() == 2) {
    onnx::NodeProto *p = add("Gemm", n.name, ins, outputNames(n));
    if (ta)
      attrInt(p, "transA", 1);
    if (tb)
      attrInt(p, "transB", 1);
    return Status::ok();
  }
  for (int side = 0; side < 2; ++side) {
    if (!(side ? tb : ta))
      continue;
    size_t r = n.inputs[side]->type.rank();
    if (r < 2)
      return Error(n.describe() + ": cannot transpose a rank-" + std::to_string(r) + " operand");
    std::string t = fresh(ins[side] + ".T");
    onnx::NodeProto *p =
        add("Transpose", fresh(n.name + (side ? ".transB" : ".transA")), {ins[side]}, {t});
    auto *perm = p->add_attribute();
    perm->set_name("perm");
    perm->set_type(onnx::AttributeProto::INTS);
    for (size_t i = 0; i < r; ++i)
      perm->add_ints(i + 2 == r ? r - 1 : i + 1 == r ? r - 2 : i);
    ins[side] = t;
  }
  add("MatMul", n.name, ins, outputNames(n));
  return Status::ok();
}

// Reshape and Expand take their target shape as an input: the attribute
// (whose 0 and -1 mean what ONNX's do) with each symbolic dim written as "the
// input's dim here" (Reshape's 0, Expand's 1) where the input has the same
// symbol at that position (Expand aligns to the right), else, for a Reshape
// without a -1, as -1. dlc's importer reads 0 back as the input's symbol.
Status Exporter::reshapeLike(const Node &n) {
  bool reshape = n.op == OpKind::Reshape;
  const Dims &in = n.inputs[0]->type.dims, &target = n.getDims("shape");
  bool inferred = false;
  for (const Dim &d : target)
    inferred |= d == Dim(-1);
  std::vector<int64_t> shape;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i].isStatic()) {
      shape.push_back(target[i].value);
      continue;
    }
    size_t j = i + in.size() - target.size(); // Expand's aligned input dim
    bool same = reshape ? i < in.size() && in[i] == target[i]
                        : i + in.size() >= target.size() && in[j] == target[i];
    if (same) {
      shape.push_back(reshape ? 0 : 1);
    } else if (reshape && !inferred) {
      shape.push_back(-1);
      inferred = true;
    } else {
      return Error(n.describe() + ": the target shape " + dimsString(target) +
                   " has symbolic dims that ONNX cannot express against the input " +
                   n.inputs[0]->type.str());
    }
  }
  add(reshape ? "Reshape" : "Expand", n.name,
      {n.inputs[0]->name, intsConstant(n.name + ".shape", shape)}, outputNames(n));
  return Status::ok();
}

// Ops whose IR attributes are ONNX (opset 13+) inputs.
Status Exporter::withConstInputs(const Node &n) {
  std::vector<std::string> ins = inputNames(n);
  const std::string &x = n.inputs[0]->name;
  DType t = n.inputs[0]->type.dtype;
  switch (n.op) {
  case OpKind::Clip: {
    double lo = n.getFloat("min"), hi = n.getFloat("max");
    std::string mn = std::isinf(lo) ? "" : constant(n.name + ".min", Tensor::scalar(t, lo));
    std::string mx = std::isinf(hi) ? "" : constant(n.name + ".max", Tensor::scalar(t, hi));
    std::vector<std::string> args{x, mn};
    if (!mx.empty())
      args.push_back(mx);
    add("Clip", n.name, args, outputNames(n));
    return Status::ok();
  }
  case OpKind::Pad: {
    const std::string &mode = n.getString("mode");
    if (mode == "wrap")
      return Error(n.describe() + ": mode 'wrap' needs ONNX opset 19; dlc exports opset 17");
    std::vector<std::string> args{x, intsConstant(n.name + ".pads", n.getInts("pads"))};
    if (n.getFloat("value") != 0)
      args.push_back(constant(n.name + ".value", Tensor::scalar(t, n.getFloat("value"))));
    onnx::NodeProto *p = add("Pad", n.name, args, outputNames(n));
    if (mode != "constant")
      copyAttrs(n, p, {"pads", "value"});
    return Status::ok();
  }
  case OpKind::Slice: {
    std::vector<std::string> args{x, intsConstant(n.name + ".starts", n.getInts("starts")),
                                  intsConstant(n.name + ".ends", n.getInts("ends"))};
    const std::vector<int64_t> &axes = n.getInts("axes"), &steps = n.getInts("steps");
    if (!axes.empty() || !steps.empty()) {
      std::vector<int64_t> all;
      for (size_t i = 0; i < n.getInts("starts").size(); ++i)
        all.push_back(static_cast<int64_t>(i));
      args.push_back(intsConstant(n.name + ".axes", axes.empty() ? all : axes));
    }
    if (!steps.empty())
      args.push_back(intsConstant(n.name + ".steps", steps));
    add("Slice", n.name, args, outputNames(n));
    return Status::ok();
  }
  case OpKind::Split:
  case OpKind::ReduceSum: {
    // An optional list (split sizes, axes) that opset 13 takes as the second
    // input; the other attributes stay attributes.
    std::string list = n.op == OpKind::Split ? "split" : "axes";
    std::vector<std::string> args{x};
    if (!n.getInts(list).empty())
      args.push_back(intsConstant(n.name + "." + list, n.getInts(list)));
    copyAttrs(n, add(opName(n.op), n.name, args, outputNames(n)), {list});
    return Status::ok();
  }
  case OpKind::Tile:
    add("Tile", n.name, {x, intsConstant(n.name + ".repeats", n.getInts("repeats"))},
        outputNames(n));
    return Status::ok();
  default:
    DLC_ASSERT(false, "withConstInputs handles its ops only");
    return Status::ok();
  }
}

// ONNX's Softplus has no beta: softplus_beta(x) = softplus(beta * x) / beta.
Status Exporter::softplus(const Node &n) {
  double beta = n.getFloat("beta");
  if (beta == 1.0) {
    add("Softplus", n.name, inputNames(n), outputNames(n));
    return Status::ok();
  }
  DType t = n.inputs[0]->type.dtype;
  std::string b = constant(n.name + ".beta", Tensor::scalar(t, beta));
  std::string scaled = fresh(n.name + ".scaled"), sp = fresh(n.name + ".softplus");
  add("Mul", fresh(n.name + ".scale"), {n.inputs[0]->name, b}, {scaled});
  add("Softplus", fresh(n.name + ".inner"), {scaled}, {sp});
  add("Div", n.name, {sp, b}, outputNames(n));
  return Status::ok();
}

// BatchNorm and Dropout in their inference form (what the infer entry has).
Status Exporter::inferenceOnly(const Node &n) {
  if (n.getInt("training"))
    return Error(n.describe() + ": training mode does not export; export the inference graph "
                                "(dlc --entry=infer)");
  if (n.op == OpKind::Dropout) {
    std::vector<std::string> ins{n.inputs[0]->name};
    if (n.getFloat("ratio") != 0.5)
      ins.push_back(constant(n.name + ".ratio", Tensor::scalar(DType::F32, n.getFloat("ratio"))));
    onnx::NodeProto *p = add("Dropout", n.name, ins, {n.outputs[0]->name});
    if (n.getInt("seed"))
      attrInt(p, "seed", n.getInt("seed"));
    return Status::ok();
  }
  onnx::NodeProto *p = add("BatchNormalization", n.name, inputNames(n), {n.outputs[0]->name});
  attrFloat(p, "epsilon", n.getFloat("epsilon"));
  // ONNX weighs the running statistic by its momentum, the IR (PyTorch) the
  // batch's.
  attrFloat(p, "momentum", onnximport::roundDecimal(1.0 - n.getFloat("momentum")));
  return Status::ok();
}

Status Exporter::exportNode(const Node &n) {
  switch (n.op) {
  case OpKind::MatMul:
    return matMul(n);
  case OpKind::Reshape:
  case OpKind::Expand:
    return reshapeLike(n);
  case OpKind::Clip:
  case OpKind::Pad:
  case OpKind::ReduceSum:
  case OpKind::Slice:
  case OpKind::Split:
  case OpKind::Tile:
    return withConstInputs(n);
  case OpKind::Softplus:
    return softplus(n);
  case OpKind::BatchNorm:
  case OpKind::Dropout:
    return inferenceOnly(n);
  case OpKind::Cast: {
    auto to = dlrt::parseDType(n.getString("to"));
    if (!to)
      return Error(n.describe() + ": unknown dtype '" + n.getString("to") + "'");
    attrInt(add("Cast", n.name, inputNames(n), outputNames(n)), "to", dlrt::onnxElemType(*to));
    return Status::ok();
  }
  case OpKind::AveragePoolGrad:
  case OpKind::BatchNormGrad:
  case OpKind::ConvGradWeight:
  case OpKind::GatherGrad:
  case OpKind::MaxPoolGrad:
  case OpKind::PadGrad:
    return Error(n.describe() + ": gradient ops have no ONNX form; export the inference graph");
  default:
    // The rest share their ONNX name and attributes.
    copyAttrs(n, add(opName(n.op), n.name, inputNames(n), outputNames(n)));
    return Status::ok();
  }
}

Expected<std::string> Exporter::run() {
  model_.set_ir_version(kIrVersion);
  model_.set_producer_name("dlc");
  auto *opset = model_.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  graph_ = model_.mutable_graph();
  graph_->set_name(g_.name);
  for (const auto &n : g_.nodes())
    names_.insert(n->name);
  for (const Value *v : g_.inputs()) {
    names_.insert(v->name);
    auto *in = graph_->add_input();
    in->set_name(v->name);
    setType(in->mutable_type(), v->type);
  }
  std::vector<const Value *> persistent(g_.params().begin(), g_.params().end());
  persistent.insert(persistent.end(), g_.states().begin(), g_.states().end());
  for (const Value *v : persistent) {
    names_.insert(v->name);
    auto t = materializeParam(*v);
    if (!t)
      return t.takeError().withContext("parameter '" + v->name + "'");
    dlrt::toOnnxTensor(*t, v->name, *graph_->add_initializer());
  }
  for (const auto &n : g_.nodes())
    for (const Value *v : n->outputs)
      names_.insert(v->name);
  for (const Value *v : g_.consts())
    names_.insert(v->name);
  for (const Value *v : g_.consts()) {
    DLC_ASSERT(v->data, "constants hold data");
    onnx::NodeProto *p = add("Constant", fresh(v->name + ".const"), {}, {v->name});
    auto *a = p->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    dlrt::toOnnxTensor(*v->data, v->name, *a->mutable_t());
  }
  for (const auto &n : g_.nodes())
    DLC_CHECK(exportNode(*n));
  for (const auto &[name, v] : g_.outputs()) {
    std::string value = v->name;
    if (name != value) { // an output named apart from its value
      names_.insert(name);
      add("Identity", fresh(name + ".identity"), {value}, {name});
    }
    auto *out = graph_->add_output();
    out->set_name(name);
    setType(out->mutable_type(), v->type);
  }
  std::string bytes;
  if (!model_.SerializeToString(&bytes))
    return Error("cannot serialize the ONNX model (over protobuf's 2 GiB limit?)");
  return bytes;
}

} // namespace

Expected<std::string> selfContainedOnnx(const std::string &path) {
  DLC_TRY(bytes, dlrt::readFile(path));
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes))
    return Error(path + ": not a valid ONNX model (protobuf parse failed)");
  bool external = false;
  std::string dir = std::filesystem::path(path).parent_path().string();
  for (onnx::TensorProto &tp : *m.mutable_graph()->mutable_initializer()) {
    if (tp.data_location() != onnx::TensorProto::EXTERNAL)
      continue;
    auto t = onnximport::tensorFromProto(tp, dir.empty() ? "." : dir);
    if (!t)
      return t.takeError().withContext(path + ": initializer '" + tp.name() + "'");
    dlrt::toOnnxTensor(*t, tp.name(), tp);
    external = true;
  }
  if (!external)
    return bytes;
  std::string out;
  if (!m.SerializeToString(&out))
    return Error(path + ": the model with its external data inline is over "
                        "protobuf's 2 GiB limit");
  return out;
}

Expected<std::string> exportOnnx(const Graph &g) {
  auto r = Exporter(g).run();
  if (!r)
    return r.takeError().withContext(g.sourcePath.empty() ? g.name : g.sourcePath);
  return r;
}

} // namespace dlc
