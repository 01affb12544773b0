// `dlrun export` (dlrt/Export.h): the embedded ONNX model with the
// checkpoint's tensors as its initializers and the standardization folded in.
#include "dlrt/Export.h"

#include "dlrt/File.h"
#include "runtime/train/OnnxTensor.h"

#include <filesystem>
#include <map>
#include <ostream>
#include <set>

namespace dlrt {

namespace {

std::string dimsOf(const onnx::TensorProto &tp) {
  std::vector<int64_t> d(tp.dims().begin(), tp.dims().end());
  return shapeString(d);
}

// Names not yet used by any value or node of the graph.
class Names {
public:
  explicit Names(const onnx::GraphProto &g) {
    for (const auto &v : g.input())
      used_.insert(v.name());
    for (const auto &t : g.initializer())
      used_.insert(t.name());
    for (const auto &n : g.node()) {
      used_.insert(n.name());
      for (const auto &out : n.output())
        used_.insert(out);
    }
  }
  std::string fresh(const std::string &base) {
    std::string n = base;
    for (int i = 1; used_.count(n); ++i)
      n = base + "_" + std::to_string(i);
    used_.insert(n);
    return n;
  }

private:
  std::set<std::string> used_;
};

// Every tensor the checkpoint holds for the model's ONNX initializers goes
// in; the initializers and the tensors must pair up exactly.
Status replaceInitializers(onnx::GraphProto &g, Names &names, const Model::EmbeddedOnnx &e,
                           const Model &model, const Checkpoint &ck, const RunOptions &o) {
  std::map<std::string, onnx::TensorProto *> inits;
  for (onnx::TensorProto &tp : *g.mutable_initializer())
    inits[tp.name()] = &tp;
  std::set<std::string> listed(e.initializers.begin(), e.initializers.end());
  for (const std::string &name : e.initializers) {
    const Tensor *t = ck.find(name);
    auto it = inits.find(name);
    if (!t)
      return Error(o.weights + ": no tensor '" + name + "' for the initializer '" + name + "' of " +
                   o.model + "'s ONNX model");
    if (it == inits.end())
      return Error(o.model + ": the embedded ONNX model has no initializer '" + name +
                   "' for the checkpoint tensor '" + name + "' of " + o.weights);
    onnx::TensorProto &tp = *it->second;
    bool sameDims = tp.dims_size() == t->rank();
    for (int i = 0; sameDims && i < tp.dims_size(); ++i)
      sameDims = tp.dims(i) == t->shape()[i];
    if (tp.data_type() != onnxElemType(t->dtype()) || !sameDims)
      return Error(o.weights + ": tensor '" + name + "' is " + std::string(dtypeName(t->dtype())) +
                   shapeString(t->shape()) + ", the initializer '" + name + "' of " + o.model +
                   "'s ONNX model has ONNX type " + std::to_string(tp.data_type()) + " and dims " +
                   dimsOf(tp));
    toOnnxTensor(*t, name, tp);
  }
  for (const Model::EmbeddedOnnx::Binding &b : e.bindings) {
    listed.insert(b.value);
    const Tensor *t = ck.find(b.value);
    if (!t)
      return Error(o.weights + ": no tensor '" + b.value + "' for input " +
                   std::to_string(b.input) + " of the node computing '" + b.nodeOutput + "' in " +
                   o.model + "'s ONNX model");
    onnx::NodeProto *node = nullptr;
    for (onnx::NodeProto &n : *g.mutable_node())
      if (n.output_size() && n.output(0) == b.nodeOutput)
        node = &n;
    if (!node || b.input >= node->input_size())
      return Error(o.model + ": the embedded ONNX model has no node computing '" + b.nodeOutput +
                   "' for the checkpoint tensor '" + b.value + "' of " + o.weights);
    std::string name = names.fresh(b.value);
    toOnnxTensor(*t, name, *g.add_initializer());
    node->set_input(b.input, name);
  }
  // Anything else in the checkpoint must be a value the model keeps apart
  // from its ONNX form (optimizer moments).
  std::set<std::string> values;
  for (const TensorSpec &s : model.values())
    values.insert(s.name);
  for (const auto &[name, t] : ck.tensors)
    if (!listed.count(name) && !values.count(name))
      return Error(o.weights + ": tensor '" + name + "' has no initializer in " + o.model +
                   "'s ONNX model (nor is it a value of the artifact)");
  return Status::ok();
}

// x -> cast((cast(x, f64) - mean) / std, f32) in front of every use of the
// feature input: the same double arithmetic and final rounding as
// Standardizer::apply, so the exported model sees exactly dlrun's inputs.
Status foldStandardization(onnx::GraphProto &g, Names &names, const std::string &x,
                           const Standardizer &s, const RunOptions &o) {
  const onnx::ValueInfoProto *in = nullptr;
  for (const auto &v : g.input())
    if (v.name() == x)
      in = &v;
  if (!in)
    return Error(o.model + ": the embedded ONNX model has no input '" + x + "'");
  std::vector<int64_t> perExample;
  const auto &shape = in->type().tensor_type().shape();
  int64_t count = 1;
  for (int i = 1; i < shape.dim_size(); ++i) {
    if (!shape.dim(i).has_dim_value())
      return Error(o.model + ": input '" + x +
                   "' has a symbolic dim after the batch; the "
                   "standardization statistics of " +
                   o.weights + " cannot be folded into it");
    perExample.push_back(shape.dim(i).dim_value());
    count *= perExample.back();
  }
  if (count != static_cast<int64_t>(s.mean.size()))
    return Error(o.weights + ": standardization statistics for " + std::to_string(s.mean.size()) +
                 " features, the input '" + x + "' of " + o.model + " has " +
                 std::to_string(count));

  std::string inner = names.fresh(x + ".standardized");
  for (onnx::NodeProto &n : *g.mutable_node())
    for (std::string &i : *n.mutable_input())
      if (i == x)
        i = inner;
  for (onnx::ValueInfoProto &out : *g.mutable_output())
    if (out.name() == x)
      return Error(o.model + ": the feature input '" + x + "' is also an output");

  google::protobuf::RepeatedPtrField<onnx::NodeProto> front;
  auto node = [&](const std::string &op, std::vector<std::string> ins, const std::string &out) {
    onnx::NodeProto *n = front.Add();
    n->set_op_type(op);
    n->set_name(names.fresh(out));
    for (const std::string &i : ins)
      n->add_input(i);
    n->add_output(out);
    return n;
  };
  auto constant = [&](const std::string &base, const std::vector<double> &v) {
    std::string out = names.fresh(base);
    Tensor t = Tensor::fromVector(DType::F64, perExample, v);
    onnx::AttributeProto *a = node("Constant", {}, out)->add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    toOnnxTensor(t, out, *a->mutable_t());
    return out;
  };
  auto cast = [&](onnx::NodeProto *n, DType to) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name("to");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(onnxElemType(to));
  };
  std::string mean = constant(x + ".standardize_mean", s.mean);
  std::string sd = constant(x + ".standardize_std", s.std);
  std::string wide = names.fresh(x + ".f64");
  cast(node("Cast", {x}, wide), DType::F64);
  std::string centered = names.fresh(x + ".centered");
  node("Sub", {wide, mean}, centered);
  std::string scaled = names.fresh(x + ".scaled");
  node("Div", {centered, sd}, scaled);
  cast(node("Cast", {scaled}, inner), DType::F32);
  for (onnx::NodeProto &n : *g.mutable_node())
    front.Add()->Swap(&n);
  g.mutable_node()->Swap(&front);
  return Status::ok();
}

} // namespace

Status exportModel(const RunOptions &o, std::ostream &out) {
  DLC_TRY(model, Model::load(o.model));
  DLC_TRY(embedded, model->embeddedOnnx());
  DLC_TRY(ck, readSafetensors(o.weights));
  std::string modelName = std::filesystem::path(o.model).filename().string();
  DLC_CHECK(restore(*model, ck, o.weights, /*strict=*/false, modelName));
  DLC_TRY(stdz, checkpointStandardizer(ck, o.weights));

  onnx::ModelProto m;
  if (!m.ParseFromString(embedded.bytes))
    return Error(o.model + ": the embedded ONNX model is corrupt (protobuf parse failed)");
  onnx::GraphProto &g = *m.mutable_graph();
  Names names(g);
  DLC_CHECK(replaceInitializers(g, names, embedded, *model, ck, o));
  std::string folded;
  if (!stdz.empty()) {
    DLC_TRY(inputs, model->inputs("infer"));
    if (inputs.size() != 1)
      return Error(o.model +
                   ": standardization is folded into a model with one input; this "
                   "one has " +
                   std::to_string(inputs.size()));
    DLC_CHECK(foldStandardization(g, names, inputs[0].name, stdz, o));
    folded = ", standardization folded into input '" + inputs[0].name + "'";
  }
  std::string bytes;
  if (!m.SerializeToString(&bytes))
    return Error(o.output + ": cannot serialize the ONNX model");
  DLC_CHECK(writeFileAtomic(o.output, bytes));
  out << "wrote " << o.output << ": " << modelName << " (from ." << embedded.source << ") with "
      << embedded.initializers.size() + embedded.bindings.size() << " trained initializers from "
      << o.weights << folded << "\n";
  return Status::ok();
}

} // namespace dlrt
