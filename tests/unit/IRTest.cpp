// Unit tests of the IR: types and shape inference, the verifier, the .dlg
// printer/parser round trip, initializers, .npy files and the simple passes.
#include "dlrt/Npy.h"
#include "frontend/dlg/Parser.h"
#include "ir/Builder.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"
#include "training/Initializers.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

using namespace dlc;

namespace {

template <typename T> T unwrap(Expected<T> e) {
  if (!e)
    ADD_FAILURE() << e.error().message();
  return std::move(*e);
}

TensorType ty(const std::string &text) {
  // "f32[N, 3]" -> TensorType, via a one-line graph.
  auto g = parseDlg("graph t {\n input x: " + text + "\n output x\n}\n", "t.dlg", "");
  EXPECT_TRUE(bool(g)) << (g ? "" : g.error().message());
  return (*g)->inputs()[0]->type;
}

std::unique_ptr<Graph> parse(const std::string &text) {
  auto g = parseDlg(text, "t.dlg", "");
  if (!g) {
    ADD_FAILURE() << g.error().message();
    return nullptr;
  }
  return std::move(*g);
}

std::string parseError(const std::string &text) {
  auto g = parseDlg(text, "t.dlg", "");
  EXPECT_FALSE(bool(g)) << "expected a parse error";
  return g ? "" : g.error().message();
}

} // namespace

TEST(Tensor, HalfConversionRoundTrips) {
  for (float f : {0.0f, -0.0f, 1.0f, -2.5f, 65504.0f, 6.1035156e-05f,
                  5.9604645e-08f, 0.333251953125f})
    EXPECT_EQ(dlrt::halfToFloat(dlrt::floatToHalf(f)), f) << f;
  EXPECT_TRUE(std::isinf(dlrt::halfToFloat(dlrt::floatToHalf(1e6f))));
  EXPECT_TRUE(std::isnan(dlrt::halfToFloat(dlrt::floatToHalf(NAN))));
  // 1 + 2^-11 is halfway between 1 and the next half: rounds to even (1).
  EXPECT_EQ(dlrt::halfToFloat(dlrt::floatToHalf(1.0f + 0x1.0p-11f)), 1.0f);
}

TEST(Tensor, CastKeepsLargeIntegersExact) {
  Tensor t(DType::I64, {2});
  t.data<int64_t>()[0] = (int64_t(1) << 62) + 1;
  t.data<int64_t>()[1] = -7;
  Tensor c = t.cast(DType::I64);
  EXPECT_EQ(c.data<int64_t>()[0], (int64_t(1) << 62) + 1);
  EXPECT_EQ(t.cast(DType::F32).data<float>()[1], -7.0f);
}

TEST(ShapeInference, ConvPoolAndMatMul) {
  Graph g;
  Builder b(g);
  Value *x = g.addInput("x", ty("f32[N, 3, 32, 31]"));
  Value *w = g.addParam("w", TensorType::of(DType::F32, {8, 3, 3, 3}));
  w->init.kind = "zeros";
  Value *c = unwrap(b.add(OpKind::Conv, {x, w},
                          {{"strides", Attr::ofInts({2, 2})},
                           {"pads", Attr::ofInts({1, 1, 1, 1})},
                           {"dilations", Attr::ofInts({1, 2})}},
                          "c"));
  EXPECT_EQ(c->type.str(), "f32[N, 8, 16, 15]");
  Value *p = unwrap(b.add(OpKind::MaxPool, {c},
                          {{"kernel_shape", Attr::ofInts({3, 3})},
                           {"strides", Attr::ofInts({2, 2})},
                           {"ceil_mode", Attr::ofInt(1)}},
                          "p"));
  EXPECT_EQ(p->type.str(), "f32[N, 8, 8, 7]");
  Value *f = unwrap(b.add(OpKind::Reshape, {p},
                          {{"shape", Attr::ofDims({Dim(0), Dim(-1)})}}, "f"));
  EXPECT_EQ(f->type.str(), "f32[N, 448]");
  Value *f2 = unwrap(b.add(OpKind::Reshape, {p},
                           {{"shape", Attr::ofDims({Dim(-1), Dim(448)})}}, "f2"));
  EXPECT_EQ(f2->type.str(), "f32[N, 448]");
  Value *m = g.addParam("m", TensorType::of(DType::F32, {10, 448}));
  m->init.kind = "zeros";
  Value *y = unwrap(b.add(OpKind::MatMul, {f, m}, {{"transB", Attr::ofInt(1)}}, "y"));
  EXPECT_EQ(y->type.str(), "f32[N, 10]");
}

TEST(ShapeInference, BroadcastingAndErrors) {
  Graph g;
  Builder b(g);
  Value *a = g.addInput("a", ty("f32[N, 1, 5]"));
  Value *c = g.addInput("c", ty("f32[4, 1]"));
  EXPECT_EQ(unwrap(b.add(OpKind::Add, {a, c}, {}, "s"))->type.str(), "f32[N, 4, 5]");
  Value *d = g.addInput("d", ty("f32[3]"));
  auto bad = b.add(OpKind::Add, {a, d}, {}, "bad");
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(bad.error().message(),
            "node 'bad' (Add): shapes [N, 1, 5] and [3] do not broadcast");
  Value *i = g.addInput("i", ty("i64[3]"));
  auto mixed = b.add(OpKind::Mul, {d, i}, {}, "mixed");
  ASSERT_FALSE(bool(mixed));
  EXPECT_NE(mixed.error().message().find("different dtypes"), std::string::npos);
}

TEST(ShapeInference, ReshapeCannotInventSymbolicProducts) {
  Graph g;
  Builder b(g);
  Value *x = g.addInput("x", ty("f32[N, 3, 4]"));
  auto r = b.add(OpKind::Reshape, {x}, {{"shape", Attr::ofDims({Dim(-1), Dim(4)})}}, "r");
  ASSERT_FALSE(bool(r)); // would be N*3
  EXPECT_NE(r.error().message().find("cannot reshape"), std::string::npos);
}

TEST(Verifier, CatchesBrokenGraphs) {
  auto g = parse("graph t {\n input x: f32[2]\n y = Relu(x)\n output y\n}\n");
  ASSERT_TRUE(g);
  EXPECT_TRUE(bool(verifyGraph(*g)));
  // A recorded type that disagrees with inference.
  g->nodes()[0]->outputs[0]->type = ty("f32[3]");
  Status s = verifyGraph(*g);
  ASSERT_FALSE(bool(s));
  EXPECT_EQ(s.error().message(),
            "node 'y' (Relu): output 'y' is declared f32[3] but inferred f32[2]");
}

TEST(Verifier, DetectsCycles) {
  auto g = parse("graph t {\n input x: f32[2]\n a = Relu(x)\n b = Relu(a)\n output b\n}\n");
  ASSERT_TRUE(g);
  // Make a read b: a cycle.
  g->nodes()[0]->inputs[0] = g->nodes()[1]->outputs[0];
  Status s = g->topoSort();
  ASSERT_FALSE(bool(s));
  EXPECT_NE(s.error().message().find("cycle"), std::string::npos);
  EXPECT_FALSE(bool(verifyGraph(*g)));
}

TEST(Dlg, RoundTripIsByteIdentical) {
  const std::string text = R"(graph "my net" {
  input x: f32[N, 2, 5, 5]
  input "onnx::in": i64[N]
  param w: f32[3, 2, 3, 3] = he_normal(seed=7)
  param b: f32[3] frozen = [0.5, -1.25, 3e-08]
  param big: f32[4, 5] = blob
  const k: f32[] = inf
  const idx: i64[2] = [1, -9007199254740993]
  c: f32[N, 3, 5, 5] = Conv(x, w, b) {pads=[1, 1, 1, 1]}
  s: f32[N, 3, 5, 5] = Mul(c, k)
  r: f32[N, 75] = Reshape(s) {shape=[N, 75]}
  p0: f32[N, 1, 5, 5], p1: f32[N, 1, 5, 5] = Split(x) {axis=1} @split
  l: f32[N, 3, 5, 5] = LeakyRelu(c) {alpha=0.2}
  output y = r
  output l
}
blobs {
  big = <0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f
    0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f
    0000803f0000803f0000803f0000803f>
}
)";
  auto g = parse(text);
  ASSERT_TRUE(g);
  std::string once = printGraph(*g);
  EXPECT_EQ(once, text);
  auto g2 = parse(once);
  ASSERT_TRUE(g2);
  EXPECT_EQ(printGraph(*g2), once);
  EXPECT_EQ(g2->lookup("big")->data->data<float>()[19], 1.0f);
  EXPECT_EQ(g2->lookup("idx")->data->data<int64_t>()[1], -9007199254740993);
}

TEST(Dlg, ErrorsCarryLineAndColumn) {
  EXPECT_EQ(parseError("graph t {\n input x: f32[2]\n y = Relu(z)\n output y\n}\n"),
            "t.dlg:3:11: error: use of undefined value 'z'");
  EXPECT_EQ(parseError("graph t {\n input x: f32[2]\n y = Frob(x)\n output y\n}\n"),
            "t.dlg:3:6: error: unknown op 'Frob'");
  EXPECT_EQ(parseError("graph t {\n input x: q8[2]\n output x\n}\n"),
            "t.dlg:2:11: error: unknown dtype 'q8' (expected f32, f64, f16, i64, i32, "
            "i8, u8 or bool)");
  EXPECT_EQ(parseError("graph t {\n input x: f32[2]\n y: f32[3] = Relu(x)\n output y\n}\n"),
            "t.dlg:3:2: error: 'y' is declared f32[3] but inferred f32[2]");
  EXPECT_EQ(parseError("graph t {\n input x: f32[2]\n input x: f32[2]\n output x\n}\n"),
            "t.dlg:3:8: error: value 'x' is defined more than once");
  EXPECT_EQ(parseError("graph t {\n input x: f32[2]\n y = Relu(x) {alpha=1}\n output y\n}\n"),
            "t.dlg:3:15: error: Relu has no attribute 'alpha'");
  EXPECT_EQ(parseError("graph t {\n input x: f32[2]\n y = Concat(x) {axis=0.5}\n output y\n}\n"),
            "t.dlg:3:22: error: attribute 'axis' must be int");
  EXPECT_EQ(parseError("graph t {\n param w: f32[2] = bogus(seed=1)\n output w\n}\n")
                .substr(0, 49),
            "t.dlg:2:20: error: unknown initializer 'bogus' (k");
  EXPECT_EQ(parseError("graph t {\n input x: f32[2]\n output x\n"),
            "t.dlg:4:1: error: expected '}' at the end of the graph");
}

TEST(Initializers, SeededAndScaledLikePyTorch) {
  Graph g;
  Value *w = g.addParam("w", TensorType::of(DType::F32, {64, 128, 3, 3}));
  w->init = {"he_normal", {{"seed", 3}}};
  Tensor a = unwrap(materializeParam(*w)), b = unwrap(materializeParam(*w));
  EXPECT_TRUE(a.sameBytes(b));
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    sum += a.getDouble(i), sq += a.getDouble(i) * a.getDouble(i);
  double n = a.numel(), mean = sum / n, std = std::sqrt(sq / n - mean * mean);
  double want = std::sqrt(2.0 / (128 * 9)); // gain sqrt(2), fan_in 128*3*3
  EXPECT_NEAR(mean, 0, 4 * want / std::sqrt(n));
  EXPECT_NEAR(std / want, 1.0, 0.02);
  w->init = {"xavier_uniform", {{"seed", 3}}};
  Tensor u = unwrap(materializeParam(*w));
  double bound = std::sqrt(6.0 / (128 * 9 + 64 * 9)), mx = 0;
  for (int64_t i = 0; i < u.numel(); ++i)
    mx = std::max(mx, std::fabs(u.getDouble(i)));
  EXPECT_LE(mx, bound);
  EXPECT_GT(mx, 0.99 * bound);
  w->init = {"he_normal", {{"seed", 4}}};
  EXPECT_FALSE(unwrap(materializeParam(*w)).sameBytes(a));
}

TEST(Npy, RoundTripAndErrors) {
  Tensor t = Tensor::fromVector(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6.5});
  std::string bytes = dlrt::serializeNpy(t);
  Tensor back = unwrap(dlrt::parseNpy(bytes, "a.npy"));
  EXPECT_TRUE(back.sameBytes(t));
  auto truncated = dlrt::parseNpy(bytes.substr(0, bytes.size() - 1), "a.npy");
  ASSERT_FALSE(bool(truncated));
  EXPECT_EQ(truncated.error().message(),
            "a.npy: data has 23 bytes, shape [2, 3] needs 24");
  EXPECT_FALSE(bool(dlrt::parseNpy("garbage", "b.npy")));
  Tensor s = Tensor::scalar(DType::I64, 42);
  EXPECT_TRUE(unwrap(dlrt::parseNpy(dlrt::serializeNpy(s), "s.npy")).sameBytes(s));
}

TEST(Passes, DceCseSimplify) {
  auto g = parse(R"(graph t {
  input x: f32[N, 4]
  a = Relu(x)
  b = Relu(x)
  dead = Exp(x)
  d = Dropout(a) {ratio=0.3}
  r = Reshape(d) {shape=[N, 2, 2]}
  r2 = Reshape(r) {shape=[N, 4]}
  s = Add(r2, b)
  output s
}
)");
  ASSERT_TRUE(g);
  auto pipeline = unwrap(parsePipeline("cse,simplify,dce"));
  ASSERT_TRUE(bool(runPipeline(*g, pipeline, {})));
  std::string out = printGraph(*g);
  EXPECT_EQ(out, "graph t {\n  input x: f32[N, 4]\n  a: f32[N, 4] = Relu(x)\n"
                 "  s: f32[N, 4] = Add(a, a)\n  output s\n}\n");
  auto unknown = parsePipeline("dce,frob,zap");
  ASSERT_FALSE(bool(unknown));
  EXPECT_EQ(unknown.error().message(),
            "unknown passes 'frob', 'zap' (see --print-passes)");
}
