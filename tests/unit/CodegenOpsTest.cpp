// Halide kernels of the non-element-wise core ops (pooling, BatchNorm,
// Dropout, softmax, reductions, data movement and the gradient ops) against
// the reference interpreter (BackendCheck.h), and a whole training step of
// the sample CNNs run node by node as Halide kernels.
#include "BackendCheck.h"
#include "GroupCheck.h"

#include "training/TrainGraph.h"

#include <cstdio>

using dlc::test::BackendCheckOptions;
using dlc::test::checkBackend;

namespace {

// f32 sums run in f32 in the kernels and in double in the reference.
BackendCheckOptions f32Sums() {
  BackendCheckOptions o;
  o.rtol = 1e-5;
  o.atol = 1e-5;
  return o;
}

} // namespace

TEST(CodegenOps, MaxPool) {
  checkBackend(R"(graph t {
  input x: f32[N, 3, 9, 11]
  a: f32[N, 3, 5, 6] = MaxPool(x) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  b: f32[N, 3, 5, 5] = MaxPool(x) {kernel_shape=[2, 3], strides=[2, 2], ceil_mode=1}
  c: f32[N, 3, 9, 10] = MaxPool(x) {kernel_shape=[2, 2], dilations=[2, 3], pads=[1, 0, 1, 2]}
  input x1: f32[N, 2, 8]
  d: f32[N, 2, 5] = MaxPool(x1) {kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1}
  input x3: f32[N, 2, 5, 6, 7]
  e: f32[N, 2, 3, 3, 4] = MaxPool(x3) {kernel_shape=[2, 2, 2], strides=[2, 2, 2], ceil_mode=1}
  input k: i64[N, 2, 7, 7]
  f: i64[N, 2, 4, 4] = MaxPool(k) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  output a
})");
}

TEST(CodegenOps, AveragePool) {
  checkBackend(R"(graph t {
  input x: f32[N, 3, 9, 11]
  a: f32[N, 3, 5, 6] = AveragePool(x) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  b: f32[N, 3, 5, 6] = AveragePool(x) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1}
  c: f32[N, 3, 5, 4] = AveragePool(x) {kernel_shape=[3, 2], strides=[2, 3], pads=[1, 0, 1, 1], ceil_mode=1, count_include_pad=1}
  d: f32[N, 3, 5, 4] = AveragePool(x) {kernel_shape=[3, 2], strides=[2, 3], pads=[1, 0, 1, 1], ceil_mode=1}
  input x1: f32[N, 2, 8]
  e: f32[N, 2, 5] = AveragePool(x1) {kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1, count_include_pad=1}
  input x3: f32[N, 2, 5, 6, 7]
  f: f32[N, 2, 2, 2, 3] = AveragePool(x3) {kernel_shape=[2, 3, 3], strides=[2, 2, 2]}
  output a
})");
}

TEST(CodegenOps, PoolGrad) {
  checkBackend(R"(graph t {
  input x: f32[N, 3, 9, 11]
  input da: f32[N, 3, 5, 6]
  input db: f32[N, 3, 5, 5]
  input dc: f32[N, 3, 9, 10]
  input dd: f32[N, 3, 5, 4]
  a = MaxPoolGrad(x, da) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  b = MaxPoolGrad(x, db) {kernel_shape=[2, 3], strides=[2, 2], ceil_mode=1}
  c = MaxPoolGrad(x, dc) {kernel_shape=[2, 2], dilations=[2, 3], pads=[1, 0, 1, 2]}
  e = AveragePoolGrad(x, da) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  f = AveragePoolGrad(x, da) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1}
  g = AveragePoolGrad(x, dd) {kernel_shape=[3, 2], strides=[2, 3], pads=[1, 0, 1, 1], ceil_mode=1, count_include_pad=1}
  input x1: f32[N, 2, 8]
  input d1: f32[N, 2, 5]
  h = MaxPoolGrad(x1, d1) {kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1}
  i = AveragePoolGrad(x1, d1) {kernel_shape=[3], strides=[2], pads=[1, 1], ceil_mode=1, count_include_pad=1}
  input x3: f32[N, 2, 5, 6, 7]
  input d3: f32[N, 2, 3, 3, 4]
  j = MaxPoolGrad(x3, d3) {kernel_shape=[2, 2, 2], strides=[2, 2, 2], ceil_mode=1}
  output a
})");
}

// Ties in overlapping windows: each dy goes to the first maximum in row-major
// order; NaN beats numbers.
TEST(CodegenOps, MaxPoolTiesAndNaN) {
  checkBackend(R"(graph t {
  param x: f32[1, 1, 4, 4] = [1, 1, 0, 2, 1, 1, 2, 2, 0, 3, 3, 0, 3, 3, 0, 0]
  input dy: f32[1, 1, 3, 3]
  a = MaxPoolGrad(x, dy) {kernel_shape=[2, 2]}
  b = MaxPool(x) {kernel_shape=[2, 2]}
  param xn: f32[1, 2, 2, 4] = [1, nan, 3, 0, 2, 5, nan, 1, 0, 0, 1, 1, 4, 2, 4, 2]
  input dn: f32[1, 2, 2, 2]
  c = MaxPool(xn) {kernel_shape=[1, 2], strides=[1, 2]}
  d = MaxPoolGrad(xn, dn) {kernel_shape=[1, 2], strides=[1, 2]}
  e = ReduceMax(xn) {axes=[3]}
  f = ReduceMin(xn) {axes=[-1, 1], keepdims=0}
  g = ArgMax(xn) {axis=3}
  h = ArgMin(xn) {axis=-1, select_last_index=1}
  output a
})");
}

TEST(CodegenOps, BatchNorm) {
  checkBackend(R"(graph t {
  input x: f32[N, 3, 5, 7]
  param s: f32[3] = uniform(low=0.5, high=1.5, seed=1)
  param b: f32[3] = uniform(low=-1, high=1, seed=2)
  param m: f32[3] = uniform(low=-0.5, high=0.5, seed=3)
  param v: f32[3] = uniform(low=0.5, high=2, seed=4)
  y = BatchNorm(x, s, b, m, v) {epsilon=0.001}
  t, tm, tv = BatchNorm(x, s, b, m, v) {training=1, momentum=0.2}
  u, um, uv = BatchNorm(x, s, b, m, v) {training=1, unbiased=0}
  w = BatchNorm(x, s, b, m, v) {training=1}
  input x2: f32[N, 5]
  param s2: f32[5] = uniform(low=0.5, high=1.5, seed=5)
  param b2: f32[5] = uniform(low=-1, high=1, seed=6)
  param m2: f32[5] = uniform(low=-0.5, high=0.5, seed=7)
  param v2: f32[5] = uniform(low=0.5, high=2, seed=8)
  z, zm, zv = BatchNorm(x2, s2, b2, m2, v2) {training=1}
  z2 = BatchNorm(x2, s2, b2, m2, v2)
  output y
})", f32Sums());
}

TEST(CodegenOps, BatchNormGrad) {
  checkBackend(R"(graph t {
  input x: f32[N, 3, 5, 7]
  input dy: f32[N, 3, 5, 7]
  param s: f32[3] = uniform(low=0.5, high=1.5, seed=1)
  dx, ds, db = BatchNormGrad(x, s, dy) {epsilon=0.001}
  input x2: f32[N, 4]
  input dy2: f32[N, 4]
  param s2: f32[4] = uniform(low=0.5, high=1.5, seed=2)
  ex, es, eb = BatchNormGrad(x2, s2, dy2)
  output dx
})", f32Sums());
}

// The masks are the interpreter's bit for bit (bools compare exactly), for
// several steps (each seed of the check draws another step value).
TEST(CodegenOps, Dropout) {
  const char *g = R"(graph t {
  input x: f32[N, 37, 41]
  input step: i64[]
  a, am = Dropout(x, step) {ratio=0.3, seed=5, training=1}
  b, bm = Dropout(x) {ratio=0.5, training=1}
  c, cm = Dropout(x) {ratio=0.3}
  d, dm = Dropout(x, step) {ratio=0.0, training=1}
  e = Dropout(x, step) {ratio=0.9, seed=-3, training=1}
  input k: i64[N, 5]
  f, fm = Dropout(k) {ratio=0.5}
  output a
})";
  for (uint64_t seed : {7, 8, 9}) {
    BackendCheckOptions o;
    o.seed = seed;
    checkBackend(g, o);
  }
}

TEST(CodegenOps, Softmax) {
  checkBackend(R"(graph t {
  input x: f32[N, 4, 7]
  a = Softmax(x)
  b = Softmax(x) {axis=1}
  c = LogSoftmax(x) {axis=-1}
  d = LogSoftmax(x) {axis=0}
  param big: f32[2, 3] = [1000, 1001, 999, -1000, -1001, -999]
  e = Softmax(big)
  f = LogSoftmax(big) {axis=1}
  g = Softmax(big) {axis=0}
  input h: f16[N, 6]
  i = LogSoftmax(h)
  j = Softmax(h)
  output a
})", f32Sums());
}

TEST(CodegenOps, ArgReduce) {
  checkBackend(R"(graph t {
  input x: f32[N, 5, 6]
  a = ArgMax(x) {axis=1}
  b = ArgMin(x) {axis=-1, keepdims=0}
  c = ArgMax(x) {axis=0, keepdims=0}
  input k: i64[N, 5, 6]
  d = ArgMax(k) {axis=2, select_last_index=1}
  e = ArgMin(k) {axis=0, keepdims=0}
  f = ArgMax(k) {axis=-2}
  g = ArgMin(k) {axis=1, select_last_index=1, keepdims=0}
  h = ArgMax(k) {axis=1}
  output a
})");
}

TEST(CodegenOps, Reduce) {
  checkBackend(R"(graph t {
  input x: f32[N, 5, 6, 7]
  a = ReduceSum(x) {axes=[1]}
  b = ReduceMean(x) {axes=[-1, 1], keepdims=0}
  c = ReduceMax(x) {axes=[0, 2]}
  d = ReduceMin(x) {keepdims=0}
  e = ReduceProd(x) {axes=[2]}
  f = ReduceSum(x)
  g = ReduceMean(x) {axes=[0], keepdims=0}
  input s: f32[]
  h = ReduceSum(s)
  input y: f16[N, 9]
  i = ReduceMean(y) {axes=[1]}
  output a
})", f32Sums());
  checkBackend(R"(graph t {
  input k: i64[N, 4, 5]
  a = ReduceSum(k) {axes=[2]}
  b = ReduceMean(k) {axes=[1, 2], keepdims=0}
  c = ReduceMean(k) {axes=[-1]}
  d = ReduceMax(k) {axes=[0]}
  e = ReduceMin(k) {axes=[1], keepdims=0}
  f = ReduceProd(k) {axes=[1]}
  input j: i32[N, 7]
  g = ReduceSum(j) {axes=[1]}
  h = ReduceMean(j) {axes=[1]}
  output a
})");
}

TEST(CodegenOps, ReshapeTransposeExpand) {
  const char *g = R"(graph t {
  input x: T[N, 4, 6]
  r1 = Reshape(x) {shape=[0, -1]}
  r2 = Reshape(x) {shape=[-1, 2, 3, 4]}
  r3 = Reshape(x) {shape=[0, 6, -1]}
  r4 = Reshape(x) {shape=[0, 4, 6, 1]}
  input c: T[2, 3, 4]
  r5 = Reshape(c) {shape=[4, 6]}
  r6 = Reshape(c) {shape=[24]}
  t1 = Transpose(x)
  t2 = Transpose(x) {perm=[1, 0, 2]}
  t3 = Transpose(x) {perm=[2, 0, 1]}
  input y: T[4, 1]
  e1 = Expand(y) {shape=[2, 4, 5]}
  e2 = Expand(x) {shape=[2, 1, 1, 1]}
  e3 = Expand(x) {shape=[4, 6]}
  output r1
})";
  for (const char *dtype : {"f32", "i64"}) {
    std::string text = g;
    for (size_t p; (p = text.find("T[")) != std::string::npos;)
      text.replace(p, 1, dtype);
    checkBackend(text);
  }
}

TEST(CodegenOps, ConcatSplitSliceTileGather) {
  const char *g = R"(graph t {
  input x: T[N, 4, 6]
  input y: T[N, 2, 6]
  input z: T[N, 3, 6]
  c1 = Concat(x, y, z) {axis=1}
  c2 = Concat(x, x) {axis=-1}
  c3 = Concat(z) {axis=0}
  sa, sb, sc = Split(x) {axis=2, split=[1, 2, 3]}
  sd, se = Split(x) {axis=-2}
  s1 = Slice(x) {starts=[1], ends=[4], axes=[1]}
  s2 = Slice(x) {starts=[-1, 5], ends=[-100, 0], axes=[2, 1], steps=[-2, -1]}
  s3 = Slice(x) {starts=[0, 1], ends=[2147483647, 6], axes=[0, 2], steps=[1, 2]}
  s4 = Slice(x) {starts=[-3, 0], ends=[100, -1], steps=[1, 3], axes=[-1, -2]}
  ti = Tile(x) {repeats=[1, 2, 3]}
  const idx: i64[2, 3] = [0, -1, 2, 3, -4, 1]
  g1 = Gather(x, idx) {axis=1}
  const j: i32[4] = [5, -6, 0, 2]
  g2 = Gather(x, j) {axis=-1}
  const s: i64[] = 1
  g3 = Gather(x, s) {axis=0}
  output c1
})";
  for (const char *dtype : {"f32", "i64"}) {
    std::string text = g;
    for (size_t p; (p = text.find("T[")) != std::string::npos;)
      text.replace(p, 1, dtype);
    checkBackend(text);
  }
}

TEST(CodegenOps, Pad) {
  const char *g = R"(graph t {
  input x: T[N, 4, 6]
  a = Pad(x) {pads=[0, 1, 2, 0, 2, 3], value=1.5}
  b = Pad(x) {pads=[0, 1, 2, 0, 2, 3], mode=reflect}
  c = Pad(x) {pads=[0, 1, 2, 0, 2, 3], mode=edge}
  d = Pad(x) {pads=[0, 1, 2, 0, 2, 3], mode=wrap}
  e = Pad(x) {pads=[0, 5, 7, 0, 6, 8], mode=wrap}
  f = Pad(x) {pads=[0, 5, 7, 0, 6, 8], mode=edge}
  g = Pad(x) {pads=[0, -1, 2, 0, 1, -2], value=-2}
  h = Pad(x) {pads=[0, -1, 2, 0, 1, -2], mode=reflect}
  input one: T[N, 1, 3]
  i = Pad(one) {pads=[0, 2, 1, 0, 1, 2], mode=edge}
  j = Pad(one) {pads=[0, 0, 2, 0, 0, 2], mode=reflect}
  k = Pad(one) {pads=[0, 3, 4, 0, 1, 5], mode=wrap}
  output a
})";
  for (const char *dtype : {"f32", "i64"}) {
    std::string text = g;
    for (size_t p; (p = text.find("T[")) != std::string::npos;)
      text.replace(p, 1, dtype);
    checkBackend(text);
  }
}

TEST(CodegenOps, PadGradGatherGrad) {
  checkBackend(R"(graph t {
  input x: f32[N, 4, 6]
  input d1: f32[N, 7, 11]
  a = PadGrad(x, d1) {pads=[0, 1, 2, 0, 2, 3]}
  b = PadGrad(x, d1) {pads=[0, 1, 2, 0, 2, 3], mode=reflect}
  c = PadGrad(x, d1) {pads=[0, 1, 2, 0, 2, 3], mode=edge}
  d = PadGrad(x, d1) {pads=[0, 1, 2, 0, 2, 3], mode=wrap}
  input d2: f32[N, 15, 21]
  e = PadGrad(x, d2) {pads=[0, 5, 7, 0, 6, 8], mode=wrap}
  f = PadGrad(x, d2) {pads=[0, 5, 7, 0, 6, 8], mode=edge}
  input d3: f32[N, 4, 6]
  g = PadGrad(x, d3) {pads=[0, -1, 2, 0, 1, -2]}
  h = PadGrad(x, d3) {pads=[0, -1, 2, 0, 1, -2], mode=reflect}
  input y: f32[N, 5, 3]
  const idx: i64[2, 3] = [0, -1, 2, 4, -5, 0]
  input dy: f32[N, 2, 3, 3]
  i = GatherGrad(y, idx, dy) {axis=1}
  const j: i64[4] = [2, -1, 2, 0]
  input dy2: f32[N, 5, 4]
  k = GatherGrad(y, j, dy2) {axis=-1}
  const s: i64[] = 3
  input dy3: f32[N, 3]
  l = GatherGrad(y, s, dy3) {axis=1}
  input w: f32[7, 3]
  const rows: i32[3, 2] = [6, 0, -7, 3, 1, 6]
  input dw: f32[3, 2, 3]
  m = GatherGrad(w, rows, dw)
  output a
})", f32Sums());
}

namespace {

using namespace dlc;

// Counts from running a training step node by node.
struct NodewiseRun {
  int nodes = 0, kernels = 0, mismatched = 0;
};

// |got - want| <= rtol * |want| + atol * max|want|: relative per element,
// with a floor scaled to the tensor so that entries which nearly cancel
// (gradients summed over a batch) are judged against the tensor's size.
int countMismatches(const Tensor &got, const Tensor &want, double rtol, double atol,
                    const std::string &what) {
  EXPECT_EQ(got.shape(), want.shape()) << what;
  if (got.shape() != want.shape())
    return 1;
  double scale = 0;
  for (int64_t i = 0; i < want.numel(); ++i)
    scale = std::max(scale, std::fabs(want.getDouble(i)));
  int bad = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double g = got.getDouble(i), w = want.getDouble(i);
    bool ok = dlrt::isFloat(want.dtype())
                  ? std::fabs(g - w) <= rtol * std::fabs(w) + atol * scale
                  : got.getInt(i) == want.getInt(i);
    if (!ok && ++bad <= 3)
      ADD_FAILURE() << what << " [" << i << "]: halide " << g << ", reference " << w;
  }
  return bad;
}

// Builds the training step of a sample model (softmax cross-entropy, SGD with
// lr 0.1 and momentum 0.9, as `dlc --train --loss=cross_entropy
// --optimizer=sgd --lr=0.1 --momentum=0.9`), runs it once on the reference
// interpreter, and runs every node as its own Halide kernel in topological
// order, each fed the kernels' outputs so far. Each node's outputs must match
// the interpreter's.
NodewiseRun runTrainStepNodewise(const std::string &model, int64_t batch) {
  NodewiseRun run;
  auto parsed = parseDlgFile(std::string(DLC_SOURCE_DIR) + "/models/" + model);
  EXPECT_TRUE(bool(parsed)) << parsed.error().message();
  if (!parsed)
    return run;
  Graph &g = **parsed;
  TrainSpec spec;
  LossTerm loss;
  loss.kind = "cross_entropy";
  spec.losses.push_back(loss);
  spec.optimizer.kind = "sgd";
  spec.optimizer.args = {{"lr", 0.1}, {"momentum", 0.9}};
  spec.present = true;
  Status built = buildTrainStep(g, spec);
  EXPECT_TRUE(bool(built)) << built.error().message();
  if (!built)
    return run;

  // Every node result becomes a graph output so the interpreter reports it.
  std::map<const Value *, size_t> outIndex;
  for (const auto &n : g.nodes())
    for (Value *v : n->outputs) {
      outIndex[v] = g.outputs().size();
      g.addOutput("all." + v->name, v);
    }
  BackendCheckOptions o;
  o.syms = {{"N", batch}};
  uint64_t s = 11;
  std::map<std::string, Tensor> feeds;
  std::map<const Value *, Tensor> env;
  for (const Value *v : g.inputs()) {
    Tensor t;
    if (v->name == "lr") {
      t = Tensor::scalar(DType::F32, 0.1);
    } else if (v->name == "step") {
      t = Tensor::scalar(DType::I64, 1);
    } else {
      t = dlc::test::randomTensor(v->type, o, s);
      if (v->type.dtype == DType::I64) // class labels
        for (int64_t i = 0; i < t.numel(); ++i)
          t.setDouble(i, static_cast<double>((i * 7 + 3) % 10));
    }
    feeds[v->name] = t;
    env[v] = t;
  }
  auto want = interpret(g, feeds);
  EXPECT_TRUE(bool(want)) << want.error().message();
  if (!want)
    return run;

  Halide::Target target = codegen::hostTarget();
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    ++run.nodes;
    codegen::KernelGroup kg = codegen::singleNodeGroup(n);
    std::vector<Tensor> ins;
    if (!dlc::test::kernelInputs(kg, env, ins))
      return run;
    // Expand of a scalar to [N, ...] (the loss gradient) gets N as a scalar.
    auto got = codegen::runKernelJit(kg, ins, target, o.syms);
    if (!got) {
      ADD_FAILURE() << model << ": " << got.error().message();
      return run;
    }
    ++run.kernels;
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      const Value *out = n.outputs[i];
      if (countMismatches((*got)[i], want->outputs[outIndex.at(out)], 1e-4, 1e-5,
                          model + ": " + n.describe() + " output " + std::to_string(i)))
        ++run.mismatched;
      env[out] = (*got)[i];
    }
  }
  return run;
}

} // namespace

TEST(CodegenOps, TrainStepNodewise) {
  // LeNet-5 covers conv, pooling, matmul and the loss; the whole sample set
  // (BatchNorm, Dropout, residuals) runs through compiled artifacts in
  // tests/e2e/halide_train_test.py.
  for (const char *model : {"lenet5.dlg"}) {
    NodewiseRun r = runTrainStepNodewise(model, 3);
    EXPECT_GT(r.nodes, 0);
    EXPECT_EQ(r.kernels, r.nodes) << model << ": every node runs as a Halide kernel";
    EXPECT_EQ(r.mismatched, 0) << model;
    std::printf("%s: %d nodes, %d run as Halide kernels, %d with mismatches\n", model,
                r.nodes, r.kernels, r.mismatched);
  }
}
