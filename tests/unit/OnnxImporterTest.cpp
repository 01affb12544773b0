// Unit tests of the ONNX importer. Models are built here with the ONNX
// protobuf C++ API, so nothing is committed as a binary: initializer storage
// forms (typed fields, raw_data, external data inside and outside the model's
// folder), opset checks, the one-error listing of unsupported ops, name and
// order errors, malformed bytes, import-time shape folding with a symbolic
// batch, and a sweep over the ONNX backend node tests (when installed) that
// checks imported output types against the expected output tensors.
#include "frontend/onnx/OnnxImporter.h"
#include "ir/Printer.h"

#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

namespace dlc {
namespace {

namespace fs = std::filesystem;

// A small model builder over the protobuf API.
struct ModelBuilder {
  onnx::ModelProto m;
  explicit ModelBuilder(int opset = 13) {
    m.set_ir_version(7);
    auto *o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    m.mutable_graph()->set_name("g");
  }
  onnx::GraphProto &g() { return *m.mutable_graph(); }

  void input(const std::string &name, int elem,
             const std::vector<std::string> &dims) {
    auto *vi = g().add_input();
    vi->set_name(name);
    auto *tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto *shape = tt->mutable_shape();
    for (const std::string &d : dims) {
      auto *dim = shape->add_dim();
      if (!d.empty() && std::isdigit(static_cast<unsigned char>(d[0])))
        dim->set_dim_value(std::stoll(d));
      else if (!d.empty())
        dim->set_dim_param(d);
    }
  }
  void output(const std::string &name) { g().add_output()->set_name(name); }
  onnx::NodeProto &node(const std::string &op,
                        const std::vector<std::string> &ins,
                        const std::vector<std::string> &outs,
                        const std::string &name = "") {
    auto *n = g().add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (auto &i : ins)
      n->add_input(i);
    for (auto &o : outs)
      n->add_output(o);
    return *n;
  }
  onnx::TensorProto &init(const std::string &name, int elem,
                          const std::vector<int64_t> &dims) {
    auto *t = g().add_initializer();
    t->set_name(name);
    t->set_data_type(elem);
    for (int64_t d : dims)
      t->add_dims(d);
    return *t;
  }
  std::string bytes() const { return m.SerializeAsString(); }
};


void attrFloat(onnx::NodeProto &n, const std::string &name, float v) {
  auto *a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void attrInt(onnx::NodeProto &n, const std::string &name, int64_t v) {
  auto *a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

Expected<std::unique_ptr<Graph>> import(const ModelBuilder &b,
                                        const std::string &dir = "") {
  return importOnnxBytes(b.bytes(), "model.onnx", dir);
}

std::string errorOf(const Expected<std::unique_ptr<Graph>> &g) {
  return g ? std::string("<no error>") : g.error().message();
}

// x: f32[2, 3] + w (an initializer in some storage form).
ModelBuilder addModel(int elem = onnx::TensorProto::FLOAT) {
  ModelBuilder b;
  b.input("x", elem, {"2", "3"});
  b.node("Add", {"x", "w"}, {"y"}, "add");
  b.output("y");
  return b;
}

const Value *param(const Graph &g, const std::string &name) {
  const Value *v = g.lookup(name);
  return v && v->isParam() ? v : nullptr;
}

TEST(OnnxImporter, FloatDataInitializer) {
  ModelBuilder b = addModel();
  auto &t = b.init("w", onnx::TensorProto::FLOAT, {2, 3});
  for (int i = 0; i < 6; ++i)
    t.add_float_data(0.5f * i);
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  const Value *w = param(**g, "w");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->type.str(), "f32[2, 3]");
  EXPECT_TRUE(w->trainable);
  EXPECT_EQ(w->data->getDouble(5), 2.5);
  EXPECT_EQ((*g)->inputs().size(), 1u);
}

TEST(OnnxImporter, RawDataInitializer) {
  ModelBuilder b = addModel();
  auto &t = b.init("w", onnx::TensorProto::FLOAT, {2, 3});
  float v[6] = {1, 2, 3, 4, 5, 6};
  t.set_raw_data(std::string(reinterpret_cast<char *>(v), sizeof v));
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  EXPECT_EQ(param(**g, "w")->data->getDouble(3), 4.0);
}

TEST(OnnxImporter, RawDataSizeMismatch) {
  ModelBuilder b = addModel();
  b.init("w", onnx::TensorProto::FLOAT, {2, 3}).set_raw_data("abc");
  auto g = import(b);
  EXPECT_EQ(errorOf(g), "model.onnx: initializer 'w' raw_data has 3 bytes, "
                        "expected 24 for f32[2, 3]");
}

TEST(OnnxImporter, TypedFieldCountMismatch) {
  ModelBuilder b = addModel();
  b.init("w", onnx::TensorProto::FLOAT, {2, 3}).add_float_data(1);
  EXPECT_NE(errorOf(import(b)).find("has 1 values in float_data, expected 6"),
            std::string::npos);
}

TEST(OnnxImporter, HugeAndNegativeDims) {
  ModelBuilder b = addModel();
  auto &t = b.init("w", onnx::TensorProto::FLOAT, {int64_t(1) << 40, 1 << 30});
  t.add_float_data(1);
  EXPECT_NE(errorOf(import(b)).find("too large"), std::string::npos);
  ModelBuilder c = addModel();
  c.init("w", onnx::TensorProto::FLOAT, {-2, 3});
  EXPECT_NE(errorOf(import(c)).find("negative dim"), std::string::npos);
}

TEST(OnnxImporter, DoubleInt64Int32Forms) {
  {
    ModelBuilder b = addModel(onnx::TensorProto::DOUBLE);
    auto &t = b.init("w", onnx::TensorProto::DOUBLE, {3});
    for (double d : {0.25, 0.5, 1e300})
      t.add_double_data(d);
    auto g = import(b);
    ASSERT_TRUE(g) << errorOf(g);
    EXPECT_EQ(param(**g, "w")->data->getDouble(2), 1e300);
  }
  {
    ModelBuilder b = addModel(onnx::TensorProto::INT64);
    auto &t = b.init("w", onnx::TensorProto::INT64, {3});
    for (int64_t d : {int64_t(1) << 60, int64_t(-1), int64_t(7)})
      t.add_int64_data(d);
    auto g = import(b);
    ASSERT_TRUE(g) << errorOf(g);
    EXPECT_EQ(param(**g, "w")->data->getInt(0), int64_t(1) << 60);
    EXPECT_FALSE(param(**g, "w")->trainable);
  }
  // int32_data carries i32, f16 (the bits), i8, u8 and bool.
  struct Case {
    int elem;
    std::vector<int32_t> stored;
    std::vector<double> want;
  };
  for (const Case &cs :
       {Case{onnx::TensorProto::INT32, {-5, 6, 7}, {-5, 6, 7}},
        Case{onnx::TensorProto::FLOAT16, {0x3c00, 0xc000, 0x3800}, {1, -2, 0.5}},
        Case{onnx::TensorProto::INT8, {-128, 127, 0}, {-128, 127, 0}},
        Case{onnx::TensorProto::UINT8, {255, 1, 0}, {255, 1, 0}},
        Case{onnx::TensorProto::BOOL, {1, 0, 1}, {1, 0, 1}}}) {
    ModelBuilder b;
    b.input("x", cs.elem, {"3"});
    b.node(cs.elem == onnx::TensorProto::BOOL ? "And" : "Add", {"x", "w"},
           {"y"});
    b.output("y");
    auto &t = b.init("w", cs.elem, {3});
    for (int32_t v : cs.stored)
      t.add_int32_data(v);
    auto g = import(b);
    ASSERT_TRUE(g) << errorOf(g);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(param(**g, "w")->data->getDouble(i), cs.want[i]) << cs.elem;
  }
}

TEST(OnnxImporter, UnsupportedDType) {
  ModelBuilder b = addModel();
  b.init("w", onnx::TensorProto::UINT16, {1}).add_int32_data(1);
  EXPECT_EQ(errorOf(import(b)),
            "model.onnx: initializer 'w' unsupported dtype uint16");
  ModelBuilder c;
  c.input("x", onnx::TensorProto::STRING, {"1"});
  c.node("Identity", {"x"}, {"y"});
  c.output("y");
  EXPECT_EQ(errorOf(import(c)),
            "model.onnx: graph input 'x' has an unsupported dtype string");
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("dlc-onnx-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path / "model");
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void setExternal(onnx::TensorProto &t, const std::string &location,
                 int64_t offset, int64_t length) {
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const char *k, const std::string &v) {
    auto *kv = t.add_external_data();
    kv->set_key(k);
    kv->set_value(v);
  };
  add("location", location);
  add("offset", std::to_string(offset));
  add("length", std::to_string(length));
}

TEST(OnnxImporter, ExternalData) {
  TempDir dir;
  float v[8] = {9, 9, 1, 2, 3, 4, 5, 6};
  std::ofstream(dir.path / "model" / "weights.bin", std::ios::binary)
      .write(reinterpret_cast<char *>(v), sizeof v);
  ModelBuilder b = addModel();
  setExternal(b.init("w", onnx::TensorProto::FLOAT, {2, 3}), "weights.bin", 8,
              24);
  std::string modelPath = (dir.path / "model" / "m.onnx").string();
  std::ofstream(modelPath, std::ios::binary) << b.bytes();
  auto g = importOnnxFile(modelPath);
  ASSERT_TRUE(g) << errorOf(g);
  const Value *w = param(**g, "w");
  EXPECT_EQ(w->data->getDouble(0), 1.0);
  EXPECT_EQ(w->data->getDouble(5), 6.0);

  // Too short a file.
  ModelBuilder s = addModel();
  setExternal(s.init("w", onnx::TensorProto::FLOAT, {2, 3}), "weights.bin", 16,
              24);
  EXPECT_NE(errorOf(import(s, (dir.path / "model").string())).find("too short"),
            std::string::npos);
}

TEST(OnnxImporter, ExternalDataEscapingIsRefused) {
  TempDir dir;
  float v[6] = {1, 2, 3, 4, 5, 6};
  std::ofstream(dir.path / "secret.bin", std::ios::binary)
      .write(reinterpret_cast<char *>(v), sizeof v);
  std::string base = (dir.path / "model").string();
  for (std::string loc : {std::string("../secret.bin"),
                          (dir.path / "secret.bin").string(),
                          std::string("sub/../../secret.bin")}) {
    ModelBuilder b = addModel();
    setExternal(b.init("w", onnx::TensorProto::FLOAT, {2, 3}), loc, 0, 24);
    EXPECT_EQ(errorOf(import(b, base)),
              "model.onnx: initializer 'w' external data location '" + loc +
                  "' escapes the model's folder");
  }
  // A symbolic link inside the folder that points outside it.
  std::error_code ec;
  fs::create_symlink(dir.path / "secret.bin", dir.path / "model" / "link.bin",
                     ec);
  if (!ec) {
    ModelBuilder b = addModel();
    setExternal(b.init("w", onnx::TensorProto::FLOAT, {2, 3}), "link.bin", 0,
                24);
    EXPECT_NE(errorOf(import(b, base)).find("escapes"), std::string::npos);
  }
  // No base folder: external data is refused.
  ModelBuilder b = addModel();
  setExternal(b.init("w", onnx::TensorProto::FLOAT, {2, 3}), "w.bin", 0, 24);
  EXPECT_NE(errorOf(import(b)).find("not loaded from a file"),
            std::string::npos);
}

TEST(OnnxImporter, OldStyleInitializerInputsAreParams) {
  ModelBuilder b = addModel();
  b.input("w", onnx::TensorProto::FLOAT, {"2", "3"});
  auto &t = b.init("w", onnx::TensorProto::FLOAT, {2, 3});
  for (int i = 0; i < 6; ++i)
    t.add_float_data(1);
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  EXPECT_EQ((*g)->inputs().size(), 1u);
  EXPECT_EQ((*g)->params().size(), 1u);
}

TEST(OnnxImporter, OpsetTooNewOrOld) {
  ModelBuilder b(18);
  b.input("x", onnx::TensorProto::FLOAT, {"1"});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  EXPECT_EQ(errorOf(import(b)),
            "model.onnx: opset 18 is newer than the supported 17");
  // Add changed at opset 7 (numpy broadcasting): an opset-6 Add is refused.
  ModelBuilder c(6);
  c.input("x", onnx::TensorProto::FLOAT, {"1"});
  c.node("Relu", {"x"}, {"r"});
  c.node("Add", {"r", "x"}, {"y"});
  c.output("y");
  EXPECT_EQ(errorOf(import(c)), "model.onnx: opset 6 is older than the supported 7, "
                                "and these ops changed since: Add");
  // Relu's definition at opset 6 is the one in force at 7: accepted.
  ModelBuilder d(6);
  d.input("x", onnx::TensorProto::FLOAT, {"1"});
  d.node("Relu", {"x"}, {"y"});
  d.output("y");
  EXPECT_TRUE(bool(import(d)));
}

TEST(OnnxImporter, ClipWithRuntimeBoundsLowersToMaxMin) {
  ModelBuilder b(13);
  b.input("x", onnx::TensorProto::FLOAT, {"N", "3"});
  b.input("lo", onnx::TensorProto::FLOAT, {});
  b.input("hi", onnx::TensorProto::FLOAT, {});
  b.node("Clip", {"x", "lo", "hi"}, {"y"});
  b.output("y");
  auto g = import(b);
  ASSERT_TRUE(bool(g)) << g.error().message();
  const auto &nodes = (*g)->nodes();
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_EQ(nodes[0]->op, OpKind::Max);
  EXPECT_EQ(nodes[1]->op, OpKind::Min);
  EXPECT_EQ(nodes[1]->outputs[0]->type.str(), "f32[N, 3]");
}

TEST(OnnxImporter, UnsupportedOpsListedAtOnce) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"1", "3", "8", "8"});
  b.node("LRN", {"x"}, {"a"}, "lrn1");
  b.node("NonMaxSuppression", {"a"}, {"b"}, "nms");
  b.node("LRN", {"b"}, {"c"}, "lrn2");
  b.node("Relu", {"c"}, {"d"}, "relu");
  b.node("FusedConv", {"d"}, {"e"}, "fc").set_domain("com.microsoft");
  b.node("Hardmax", {"e"}, {"f"});
  b.output("f");
  EXPECT_EQ(errorOf(import(b)),
            "model.onnx: unsupported ops: LRN (nodes 'lrn1', 'lrn2'); "
            "NonMaxSuppression (node 'nms'); com.microsoft.FusedConv (node "
            "'fc'); Hardmax (node 'Hardmax_5')");
}

TEST(OnnxImporter, DanglingInput) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"2"});
  b.node("Add", {"x", "missing"}, {"y"}, "add1");
  b.output("y");
  EXPECT_EQ(errorOf(import(b)),
            "model.onnx: node 'add1' (Add): input 'missing' is not defined by "
            "any node, initializer or graph input");
}

TEST(OnnxImporter, DuplicateNames) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"2"});
  b.node("Relu", {"x"}, {"y"}, "r1");
  b.node("Neg", {"x"}, {"y"}, "r2");
  b.output("y");
  EXPECT_EQ(errorOf(import(b)), "model.onnx: value 'y' is defined twice (by "
                                "node 'r1' and node 'r2')");
  ModelBuilder c;
  c.input("x", onnx::TensorProto::FLOAT, {"2"});
  c.node("Relu", {"x"}, {"x"}, "r1");
  c.output("x");
  EXPECT_NE(errorOf(import(c)).find("defined twice"), std::string::npos);
}

TEST(OnnxImporter, OutOfOrderIsSortedAndCycleIsAnError) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"2"});
  b.node("Neg", {"a"}, {"y"}, "second");
  b.node("Relu", {"x"}, {"a"}, "first");
  b.output("y");
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  EXPECT_EQ((*g)->nodes()[0]->name, "first");

  ModelBuilder c;
  c.input("x", onnx::TensorProto::FLOAT, {"2"});
  c.node("Add", {"x", "b"}, {"a"}, "n1");
  c.node("Neg", {"a"}, {"b"}, "n2");
  c.output("b");
  EXPECT_EQ(errorOf(import(c)), "model.onnx: node 'n1' (Add) is on a cycle: "
                                "its inputs depend on its own outputs");
}

TEST(OnnxImporter, WrongAttributeType) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"2"});
  attrInt(b.node("LeakyRelu", {"x"}, {"y"}, "lr"), "alpha", 2);
  b.output("y");
  EXPECT_EQ(errorOf(import(b)), "model.onnx: node 'lr' (LeakyRelu): attribute "
                                "'alpha' must be a float, got an int");
}

TEST(OnnxImporter, ShapeMismatchComesFromInference) {
  ModelBuilder b;
  b.input("a", onnx::TensorProto::FLOAT, {"2", "3"});
  b.input("b", onnx::TensorProto::FLOAT, {"4", "5"});
  b.node("MatMul", {"a", "b"}, {"y"}, "mm");
  b.output("y");
  EXPECT_EQ(errorOf(import(b)), "model.onnx: node 'mm' (MatMul): inner "
                                "dimensions differ: [2, 3] x [4, 5]");
}

TEST(OnnxImporter, MissingInputDim) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"2", ""});
  b.node("Relu", {"x"}, {"y"});
  b.output("y");
  EXPECT_EQ(errorOf(import(b)),
            "model.onnx: graph input 'x' has an unknown dim at axis 1 "
            "(neither a value nor a name)");
}

TEST(OnnxImporter, TruncatedAndGarbageBytes) {
  ModelBuilder b = addModel();
  auto &t = b.init("w", onnx::TensorProto::FLOAT, {2, 3});
  for (int i = 0; i < 6; ++i)
    t.add_float_data(1);
  std::string bytes = b.bytes();
  // Every truncation fails cleanly (or, rarely, parses into a smaller model).
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto g = importOnnxBytes(bytes.substr(0, n), "t.onnx", "");
    if (!g) {
      EXPECT_EQ(g.error().message().rfind("t.onnx: ", 0), 0u);
    }
  }
  EXPECT_EQ(errorOf(importOnnxBytes(bytes.substr(0, bytes.size() / 2), "t.onnx",
                                    "")),
            "t.onnx: not a valid ONNX model (the protobuf does not parse)");
  std::mt19937 rng(1);
  for (int k = 0; k < 200; ++k) {
    std::string junk(1 + rng() % 300, '\0');
    for (char &ch : junk)
      ch = static_cast<char>(rng());
    auto g = importOnnxBytes(junk, "junk.onnx", "");
    if (!g) {
      EXPECT_EQ(g.error().message().rfind("junk.onnx: ", 0), 0u);
    }
  }
  EXPECT_EQ(errorOf(importOnnxBytes("hello, this is text", "j.onnx", "")),
            "j.onnx: not a valid ONNX model (the protobuf does not parse)");
  auto f = importOnnxFile("/nonexistent/model.onnx");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message().rfind("/nonexistent/model.onnx: cannot open",
                                      0),
            0u);
}

TEST(OnnxImporter, ShapeChainFoldsWithSymbolicBatch) {
  // y = reshape(x, concat(unsqueeze(gather(shape(x), 0)), [-1]))
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"N", "3", "4", "4"});
  b.node("Shape", {"x"}, {"s"});
  auto &c0 = b.node("Constant", {}, {"zero"});
  auto *a = c0.add_attribute();
  a->set_name("value_int");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(0);
  b.node("Gather", {"s", "zero"}, {"n"});
  b.init("axes", onnx::TensorProto::INT64, {1}).add_int64_data(0);
  b.node("Unsqueeze", {"n", "axes"}, {"n1"});
  b.init("minus1", onnx::TensorProto::INT64, {1}).add_int64_data(-1);
  attrInt(b.node("Concat", {"n1", "minus1"}, {"shape"}), "axis", 0);
  b.node("Reshape", {"x", "shape"}, {"y"}, "flat");
  b.output("y");
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  ASSERT_EQ((*g)->nodes().size(), 1u);
  const Node &n = *(*g)->nodes()[0];
  EXPECT_EQ(n.op, OpKind::Reshape);
  EXPECT_EQ(dimsString(n.getDims("shape")), "[N, -1]");
  EXPECT_EQ(n.outputs[0]->type.str(), "f32[N, 48]");
  EXPECT_TRUE((*g)->params().empty()); // shape initializers were folded
}

TEST(OnnxImporter, NonConstantShapeInputIsAnError) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"2", "3"});
  b.input("s", onnx::TensorProto::INT64, {"2"});
  b.node("Reshape", {"x", "s"}, {"y"}, "r");
  b.output("y");
  EXPECT_EQ(errorOf(import(b)), "model.onnx: node 'r' (Reshape): input 's' "
                                "(shape) must be a constant known at import "
                                "time");
}

TEST(OnnxImporter, FloatAttributesAreShortestDecimals) {
  ModelBuilder b;
  b.input("x", onnx::TensorProto::FLOAT, {"2"});
  attrFloat(b.node("LeakyRelu", {"x"}, {"y"}, "lr"), "alpha", 0.3f);
  b.output("y");
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  EXPECT_EQ((*g)->nodes()[0]->getFloat("alpha"), 0.3);
}

TEST(OnnxImporter, GemmDecomposes) {
  ModelBuilder b;
  b.input("a", onnx::TensorProto::FLOAT, {"N", "4"});
  b.init("w", onnx::TensorProto::FLOAT, {3, 4}).set_raw_data(std::string(48, 0));
  b.init("c", onnx::TensorProto::FLOAT, {3}).set_raw_data(std::string(12, 0));
  auto &n = b.node("Gemm", {"a", "w", "c"}, {"y"}, "fc");
  attrInt(n, "transB", 1);
  attrFloat(n, "beta", 0.5f);
  b.output("y");
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  std::string text = printGraph(**g);
  EXPECT_NE(text.find("MatMul(a, w) {transB=1}"), std::string::npos) << text;
  EXPECT_EQ((*g)->outputs()[0].second->type.str(), "f32[N, 3]");
}

TEST(OnnxImporter, BatchNormTrainingMomentum) {
  ModelBuilder b(15);
  b.input("x", onnx::TensorProto::FLOAT, {"N", "2", "4", "4"});
  for (const char *p : {"s", "b", "m", "v"})
    b.init(p, onnx::TensorProto::FLOAT, {2}).set_raw_data(std::string(8, 0));
  auto &n = b.node("BatchNormalization", {"x", "s", "b", "m", "v"},
                   {"y", "rm", "rv"}, "bn");
  attrInt(n, "training_mode", 1);
  attrFloat(n, "momentum", 0.9f);
  b.output("y");
  b.output("rm");
  auto g = import(b);
  ASSERT_TRUE(g) << errorOf(g);
  const Node &bn = *(*g)->nodes()[0];
  EXPECT_EQ(bn.getInt("training"), 1);
  EXPECT_EQ(bn.getFloat("momentum"), 0.1);
  EXPECT_EQ(bn.outputs.size(), 3u);
}

TEST(OnnxImporter, ReadTensorProtoFile) {
  TempDir dir;
  onnx::TensorProto t;
  t.set_data_type(onnx::TensorProto::INT64);
  t.add_dims(2);
  t.add_int64_data(3);
  t.add_int64_data(-4);
  std::string path = (dir.path / "input_0.pb").string();
  std::ofstream(path, std::ios::binary) << t.SerializeAsString();
  auto r = readTensorProtoFile(path);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->shape(), std::vector<int64_t>{2});
  EXPECT_EQ(r->getInt(1), -4);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "\xff\xff\xff";
  EXPECT_FALSE(readTensorProtoFile(path));
}

// Every backend node test whose ops are all supported must import, and its
// output types must match the expected outputs' dtypes and shapes.
TEST(OnnxImporter, BackendNodeTestsImportWithTheRightTypes) {
  fs::path root = "/usr/share/libonnx-testdata/data/node";
  if (!fs::is_directory(root))
    GTEST_SKIP() << "libonnx-testdata is not installed";
  int imported = 0;
  std::vector<std::string> failures;
  for (const auto &entry : fs::directory_iterator(root)) {
    fs::path model = entry.path() / "model.onnx";
    if (!fs::exists(model))
      continue;
    auto g = importOnnxFile(model.string());
    if (!g) {
      const std::string &m = g.error().message();
      // Unsupported ops, too-new opsets and unsupported dtypes are expected;
      // anything else is recorded for the report below.
      if (m.find("unsupported") == std::string::npos &&
          m.find("newer than") == std::string::npos &&
          m.find("older than") == std::string::npos &&
          m.find("no opset of the default domain") == std::string::npos &&
          m.find("is not a tensor") == std::string::npos &&
          m.find("not supported") == std::string::npos &&
          m.find("must be a constant") == std::string::npos)
        failures.push_back(m);
      continue;
    }
    ++imported;
    const auto &outs = (*g)->outputs();
    for (size_t i = 0; i < outs.size(); ++i) {
      fs::path pb = entry.path() / "test_data_set_0" /
                    ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(pb))
        continue;
      auto want = readTensorProtoFile(pb.string());
      if (!want)
        continue;
      TensorType wt = TensorType::of(want->dtype(), want->shape());
      const TensorType &got = outs[i].second->type;
      if (got.isStatic() && got != wt)
        failures.push_back(entry.path().filename().string() + ": output " +
                           std::to_string(i) + " is " + got.str() +
                           ", expected " + wt.str());
    }
  }
  std::string all;
  for (auto &f : failures)
    all += f + "\n";
  RecordProperty("imported", imported);
  std::printf("imported %d backend node tests\n", imported);
  EXPECT_GT(imported, 300);
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures:\n" << all;
}

} // namespace
} // namespace dlc
