// Halide kernels of the heavy families (Conv, ConvTranspose, ConvGradWeight,
// MatMul), each with its real schedule template for this machine, against
// the reference interpreter (BackendCheck.h) over a sweep of shapes: odd
// sizes (tail tiles), strides, dilations, asymmetric pads, groups and
// depthwise, 1-D and 3-D, batch 1 and 64, matmul transposes, broadcasting and
// 1-D operands. Then every template compiled for CUDA (no GPU needed: the
// NVPTX backend writes PTX into the module).
//
// Tolerance: the kernels sum in f32 in a tile-dependent order; the
// interpreter sums in double and rounds once. For L terms of size O(1) (the
// inputs are uniform in [-2, 2)) the f32 error grows like eps * L in the
// worst case, and a result near 0 (cancellation) has no relative scale, so
// each case gets atol = 1e-6 * L (about 8 eps L) and rtol = 1e-4.
#include "BackendCheck.h"
#include "GroupCheck.h"

#include "frontend/dlg/Parser.h"

using dlc::test::BackendCheckOptions;
using dlc::test::checkBackend;
using dlc::test::checkGroups;
using Groups = std::vector<std::string>;

namespace {

BackendCheckOptions sumOf(int64_t terms, int64_t batch = 3) {
  BackendCheckOptions o;
  o.syms = {{"N", batch}};
  o.rtol = 1e-4;
  o.atol = 1e-6 * static_cast<double>(terms);
  return o;
}

// The AVX2 templates (8 lanes, their own tiles) run on this machine too.
const Halide::Target kAvx2("x86-64-linux-avx-avx2-f16c-fma-sse41");

} // namespace

TEST(CodegenConv, ForwardOddShapesPadsStridesDilations) {
  checkBackend(R"(graph t {
  input x: f32[N, 3, 11, 13]
  input w: f32[5, 3, 3, 3]
  input b: f32[5]
  input x2: f32[N, 4, 15, 12]
  input w2: f32[7, 4, 3, 3]
  y = Conv(x, w, b) {pads=[1, 2, 0, 1]}
  y2 = Conv(x2, w2) {strides=[2, 2], dilations=[2, 1], pads=[1, 1, 2, 0]}
  output y
})", sumOf(4 * 3 * 9));
}

TEST(CodegenConv, ForwardKernelSizes) {
  checkBackend(R"(graph t {
  input x: f32[N, 6, 14, 14]
  input w1: f32[20, 6, 1, 1]
  input w5: f32[16, 6, 5, 5]
  input w7: f32[8, 6, 7, 7]
  input b: f32[16]
  y1 = Conv(x, w1) {strides=[2, 2]}
  y5 = Conv(x, w5, b)
  y7 = Conv(x, w7) {pads=[3, 3, 3, 3]}
  output y1
})", sumOf(6 * 49));
}

TEST(CodegenConv, ForwardGroupedAndDepthwise) {
  checkBackend(R"(graph t {
  input x: f32[N, 8, 9, 10]
  input wg: f32[12, 4, 3, 3]
  input xd: f32[N, 6, 9, 10]
  input wd: f32[6, 1, 3, 3]
  input wm: f32[12, 1, 3, 3]
  input bm: f32[12]
  g = Conv(x, wg) {group=2, pads=[1, 0, 1, 2]}
  d = Conv(xd, wd) {group=6, pads=[1, 1, 1, 1]}
  m = Conv(xd, wm, bm) {group=6, strides=[2, 2]}
  output g
})", sumOf(4 * 9));
}

TEST(CodegenConv, FirstLayerShortSums) {
  // One input channel: sums of 9-25 terms take the tile along output rows.
  checkBackend(R"(graph t {
  input x: f32[N, 1, 12, 13]
  input w: f32[8, 1, 3, 3]
  input w5: f32[6, 1, 5, 5]
  input b: f32[6]
  input dy: f32[N, 8, 12, 13]
  y = Conv(x, w) {pads=[1, 1, 1, 1]}
  y5 = Conv(x, w5, b) {pads=[2, 2, 2, 2]}
  dx = ConvTranspose(dy, w) {pads=[1, 1, 1, 1]}
  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  output y
})", sumOf(3 * 12 * 13));
}

TEST(CodegenConv, ForwardOneAndThreeSpatialAxes) {
  checkBackend(R"(graph t {
  input x: f32[N, 4, 17]
  input w: f32[6, 4, 3]
  input v: f32[N, 2, 5, 6, 7]
  input u: f32[3, 2, 3, 3, 3]
  y = Conv(x, w) {strides=[2], pads=[1, 0]}
  z = Conv(v, u) {pads=[1, 1, 1, 0, 1, 2]}
  output y
})", sumOf(2 * 27));
}

TEST(CodegenConv, InputGradientAsConvTranspose) {
  // Conv's dx is ConvTranspose(dy, w) with Conv's attributes.
  checkBackend(R"(graph t {
  input dy: f32[N, 5, 7, 8]
  input w: f32[5, 3, 3, 3]
  input b: f32[3]
  input dyg: f32[N, 6, 5, 5]
  input wg: f32[6, 2, 3, 3]
  input dy1: f32[N, 4, 9]
  input w1: f32[4, 3, 5]
  input w5: f32[5, 3, 5, 5]
  x = ConvTranspose(dy, w) {pads=[1, 1, 1, 1]}
  # the transpose of 'valid' 5x5 convs: most tap rows read the zero border
  # and are skipped (LeNet-5's conv2 dx), dilated, and padded on one side
  xv = ConvTranspose(dy, w5)
  xvd = ConvTranspose(dy, w5) {dilations=[2, 1], pads=[0, 1, 3, 0]}
  xs = ConvTranspose(dy, w, b) {strides=[2, 2], pads=[1, 0, 1, 1], output_padding=[1, 0]}
  xd = ConvTranspose(dy, w) {dilations=[2, 2], pads=[2, 2, 2, 2]}
  xsd = ConvTranspose(dy, w) {strides=[2, 3], dilations=[2, 1], pads=[0, 1, 2, 0]}
  xg = ConvTranspose(dyg, wg) {group=3, strides=[2, 1]}
  x1 = ConvTranspose(dy1, w1) {strides=[3], pads=[2, 1]}
  output x
})", sumOf(5 * 25));
}

TEST(CodegenConv, WeightGradient) {
  checkBackend(R"(graph t {
  input x: f32[N, 3, 11, 13]
  input dy: f32[N, 5, 10, 14]
  input xs: f32[N, 4, 15, 12]
  input dys: f32[N, 7, 7, 6]
  input xg: f32[N, 6, 9, 10]
  input dyg: f32[N, 6, 9, 10]
  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], pads=[1, 2, 0, 1]}
  dws = ConvGradWeight(xs, dys) {kernel_shape=[3, 3], strides=[2, 2], dilations=[2, 1], pads=[1, 1, 2, 0]}
  dwd = ConvGradWeight(xg, dyg) {kernel_shape=[3, 3], group=6, pads=[1, 1, 1, 1]}
  output dw
})", sumOf(3 * 14 * 10));
  checkBackend(R"(graph t {
  input x: f32[N, 4, 17]
  input dy: f32[N, 6, 8]
  input v: f32[N, 2, 5, 6, 7]
  input dv: f32[N, 3, 5, 6, 7]
  dw = ConvGradWeight(x, dy) {kernel_shape=[3], strides=[2], pads=[1, 0]}
  dv3 = ConvGradWeight(v, dv) {kernel_shape=[3, 3, 3], pads=[1, 1, 1, 1, 1, 1]}
  output dw
})", sumOf(3 * 5 * 6 * 7));
}

TEST(CodegenConv, WeightGradientReadsXInPlace) {
  // 16 input channels fill the channel-vector tile: x is read in place and
  // the terms whose taps fall in the padding are skipped. Asymmetric pads
  // whose far edge reaches past x, stride 2 with dilation and 32 output
  // channels, one padded axis of two, 1-D and 3-D; at a batch of 3 and of 11
  // (8 chunks of 2, the last ones past the batch).
  const char *g = R"(graph t {
  input x: f32[N, 16, 13, 11]
  input dy: f32[N, 16, 13, 12]
  input xs: f32[N, 16, 15, 12]
  input dys: f32[N, 32, 7, 6]
  input xv: f32[N, 16, 9, 10]
  input dyv: f32[N, 8, 9, 8]
  input x1: f32[N, 16, 17]
  input dy1: f32[N, 16, 9]
  input v: f32[N, 16, 4, 5, 6]
  input dv: f32[N, 16, 4, 5, 6]
  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], pads=[1, 2, 1, 1]}
  dws = ConvGradWeight(xs, dys) {kernel_shape=[3, 3], strides=[2, 2], dilations=[2, 1], pads=[1, 1, 2, 0]}
  dwv = ConvGradWeight(xv, dyv) {kernel_shape=[3, 3], pads=[1, 0, 1, 0]}
  dw1 = ConvGradWeight(x1, dy1) {kernel_shape=[3], strides=[2], pads=[1, 1]}
  dw3 = ConvGradWeight(v, dv) {kernel_shape=[3, 3, 3], pads=[1, 1, 1, 1, 1, 1]}
  output dw
})";
  checkBackend(g, sumOf(3 * 13 * 12));
  checkBackend(g, sumOf(11 * 13 * 12, 11));
}

TEST(CodegenConv, StridedTransposePhasesAndRowVectorWeightGradients) {
  // A strided ConvTranspose on a CPU is split by output phase: even and odd
  // output sizes, a 1x1 kernel (phases with no taps: the bias alone),
  // strides 2 and 3, 3-D. Weight gradients of one or two input channels, or
  // grouped, take vectors along output rows: rows of a vector and a part,
  // stride 2, depthwise.
  checkBackend(R"(graph t {
  input dy: f32[N, 8, 14, 14]
  input w: f32[8, 16, 3, 3]
  input w1: f32[8, 5, 1, 1]
  input b1: f32[5]
  input dy3: f32[N, 4, 3, 4, 5]
  input w3: f32[4, 2, 3, 3, 3]
  input x: f32[N, 1, 29, 30]
  input dyx: f32[N, 6, 29, 30]
  input xs: f32[N, 2, 40, 31]
  input dys: f32[N, 5, 20, 16]
  input xd: f32[N, 4, 20, 24]
  dx = ConvTranspose(dy, w) {strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]}
  dxo = ConvTranspose(dy, w) {strides=[2, 2]}
  d1 = ConvTranspose(dy, w1, b1) {strides=[2, 2]}
  d3 = ConvTranspose(dy3, w3) {strides=[2, 3, 2], pads=[1, 0, 1, 1, 1, 0]}
  dw1 = ConvGradWeight(x, dyx) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  dws = ConvGradWeight(xs, dys) {kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]}
  dwd = ConvGradWeight(xd, xd) {kernel_shape=[3, 3], group=4, pads=[1, 1, 1, 1]}
  output dx
})", sumOf(3 * 29 * 30));
}

TEST(CodegenConv, BatchOneAndBatch64) {
  // The three passes of a 3x3 layer with full register tiles (32 output
  // channels, 14 wide), at batch 1 and 64.
  const char *g = R"(graph t {
  input x: f32[N, 16, 14, 14]
  input w: f32[32, 16, 3, 3]
  input dy: f32[N, 32, 14, 14]
  y = Conv(x, w) {pads=[1, 1, 1, 1]}
  dx = ConvTranspose(dy, w) {pads=[1, 1, 1, 1]}
  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  output y
})";
  checkBackend(g, sumOf(196, 1));
  checkBackend(g, sumOf(64 * 196, 64));
}

TEST(CodegenConv, SevenWideRowsTakeWholeRowTiles) {
  // resnet.l3's 7x7 planes: 64 and 32 output channels take 2 vectors x 7
  // pixels (a whole row, no tail tile); the stride-2 input gradient's 7-wide
  // phases store that tile transposed in registers.
  const char *g = R"(graph t {
  input x: f32[N, 32, 7, 7]
  input w: f32[64, 32, 3, 3]
  input dy: f32[N, 64, 7, 7]
  y = Conv(x, w) {pads=[1, 1, 1, 1]}
  dx = ConvTranspose(dy, w) {pads=[1, 1, 1, 1]}
  dxs = ConvTranspose(dy, w) {strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]}
  output y
})";
  checkBackend(g, sumOf(64 * 9, 1));
  checkBackend(g, sumOf(64 * 9, 3));
}

TEST(CodegenMatMul, TransposesAndBroadcasting) {
  checkBackend(R"(graph t {
  input a: f32[2, 1, 5, 7]
  input at: f32[2, 1, 7, 5]
  input b: f32[3, 7, 9]
  input bt: f32[3, 9, 7]
  nn = MatMul(a, b)
  tn = MatMul(at, b) {transA=1}
  nt = MatMul(a, bt) {transB=1}
  tt = MatMul(at, bt) {transA=1, transB=1}
  output nn
})", sumOf(7));
  checkBackend(R"(graph t {
  input a: f32[N, 13]
  input b: f32[13, 50]
  input c: f32[50, 13]
  nn = MatMul(a, b)
  nt = MatMul(a, c) {transB=1}
  tn = MatMul(b, b) {transA=1}
  output nn
})", sumOf(50));
}

TEST(CodegenMatMul, OneDimensionalOperands) {
  checkBackend(R"(graph t {
  input v: f32[7]
  input b: f32[3, 7, 9]
  input a: f32[2, 5, 7]
  input u: f32[7]
  vb = MatMul(v, b)
  av = MatMul(a, u)
  vu = MatMul(v, u)
  output vb
})", sumOf(7));
}

TEST(CodegenMatMul, MlpShapesAtBatch64) {
  // Forward x W^T, dx = dy W, dW = dy^T x of the MLP's first layer.
  checkBackend(R"(graph t {
  input x: f32[N, 784]
  input w: f32[256, 784]
  input dy: f32[N, 256]
  y = MatMul(x, w) {transB=1}
  dx = MatMul(dy, w)
  dw = MatMul(dy, x) {transA=1}
  output y
})", sumOf(784, 64));
}

TEST(CodegenConv, IntegerOperands) {
  // Integer convs and matmuls sum exactly (wrapping, as the interpreter).
  checkBackend(R"(graph t {
  input x: i64[N, 3, 7, 9]
  input w: i64[5, 3, 3, 3]
  input a: i32[N, 13]
  input b: i32[13, 20]
  y = Conv(x, w) {pads=[1, 1, 1, 1], strides=[2, 1]}
  c = MatMul(a, b)
  output y
})");
}

// Weight gradients whose window leaves the input's last column unused (stride
// 2): an Inf there must not reach dw (the interpreter never reads it). Row
// vectors (a row of 13 or 4 positions, one channel or groups) compute lanes
// past the row's end; they are masked, not multiplied by a zero of dy
// (0 * Inf is NaN). Channel vectors (16 input channels) for comparison.
TEST(CodegenConv, WeightGradientIgnoresInputOutsideTheWindows) {
  auto parsed = dlc::parseDlg(R"(graph t {
  input x: f32[2, 1, 9, 28]
  input dy: f32[2, 3, 4, 13]
  input xg: f32[2, 2, 9, 10]
  input dyg: f32[2, 2, 4, 4]
  input xc: f32[2, 16, 9, 10]
  input dyc: f32[2, 16, 4, 4]
  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], strides=[2, 2]}
  dwg = ConvGradWeight(xg, dyg) {kernel_shape=[3, 3], strides=[2, 2], group=2}
  dwc = ConvGradWeight(xc, dyc) {kernel_shape=[3, 3], strides=[2, 2]}
  output dw
})", "inf.dlg", "");
  ASSERT_TRUE(bool(parsed)) << parsed.error().message();
  BackendCheckOptions o = sumOf(2 * 4 * 13);
  uint64_t seed = 5;
  for (const auto &n : (*parsed)->nodes()) {
    auto g = dlc::codegen::singleNodeGroup(*n);
    std::vector<dlc::Tensor> ins;
    for (const dlc::Value *v : g.inputs)
      ins.push_back(dlc::test::randomTensor(v->type, o, seed));
    dlc::Tensor &x = ins[0];
    int64_t width = x.shape().back();
    for (int64_t i = width - 1; i < x.numel(); i += width)
      x.setDouble(i, INFINITY);
    dlc::Graph one;
    std::map<std::string, dlc::Tensor> feeds;
    std::vector<dlc::Value *> oneIns;
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      oneIns.push_back(one.addInput(g.inputs[i]->name, g.inputs[i]->type));
      feeds[g.inputs[i]->name] = ins[i];
    }
    dlc::Node *copy = one.addNode(n->op, n->name, oneIns, n->attrs, {n->outputs[0]->name});
    copy->outputs[0]->type = n->outputs[0]->type;
    one.addOutput(n->name, copy->outputs[0]);
    auto want = dlc::interpret(one, feeds);
    ASSERT_TRUE(bool(want)) << want.error().message();
    for (const Halide::Target &t : {dlc::codegen::hostTarget(), kAvx2}) {
      auto got = dlc::codegen::runKernelJit(g, ins, t);
      ASSERT_TRUE(bool(got)) << n->describe() << ": " << got.error().message();
      dlc::test::expectClose((*got)[0], want->outputs[0], o, n->describe() + " " + t.to_string());
    }
  }
}

// Epilogue fusion (Kernel.cpp's groupNodes): element-wise consumers of a
// heavy op join its kernel and run on its output tiles. Each case checks the
// kernels against the interpreter and which groups formed, on the AVX-512
// and AVX2 templates, at batch 1 and an odd batch.
namespace {

void checkGroupsBothIsas(const std::string &text, BackendCheckOptions o, const Groups &want) {
  for (int64_t batch : {int64_t(1), int64_t(5)}) {
    o.syms = {{"N", batch}};
    EXPECT_EQ(checkGroups(text, o), want) << "batch " << batch;
    EXPECT_EQ(checkGroups(text, o, kAvx2), want) << "batch " << batch << ", avx2";
  }
}

} // namespace

TEST(CodegenFusion, ConvBiasReluEpilogue) {
  // Tiles along output rows (6 channels; 13 x 11, tails both ways): the
  // bias and ReLU apply as the tile is stored, and s, read outside (a
  // ReLU's input kept for the backward pass), is written from the same
  // tiles (a Tuple output). An input gradient's ReLU mask, computed before
  // it by a group of its own, moves into its kernel. Bias in the op, 1-D.
  checkGroupsBothIsas(R"(graph t {
  input x: f32[N, 3, 13, 11]
  input w: f32[6, 3, 3, 3]
  input b: f32[1, 6, 1, 1]
  input dy: f32[N, 4, 13, 11]
  input w2: f32[4, 6, 3, 3]
  input pre: f32[N, 6, 13, 11]
  input x1: f32[N, 2, 19]
  input w1: f32[5, 2, 3]
  input b1: f32[5]
  const z: f32[] = 0.0
  y = Conv(x, w) {pads=[1, 1, 1, 1]}
  s = Add(y, b)
  r = Relu(s)
  m = Greater(pre, z)
  dx = ConvTranspose(dy, w2) {pads=[1, 1, 1, 1]}
  g = Where(m, dx, z)
  y1 = Conv(x1, w1, b1) {strides=[2]}
  r1 = Relu(y1)
  output r
  output s
  output g
  output r1
})", sumOf(3 * 9), Groups{"y s r", "m dx g", "y1 r1"});
}

TEST(CodegenFusion, MatMulBiasReluEpilogue) {
  // A linear layer (x W^T + b, ReLU; 37 -> 45, tails in both tile axes),
  // dx = dy W under a ReLU mask, and a matrix-vector product (its sums at
  // root, the epilogue vectorized over the output).
  checkGroupsBothIsas(R"(graph t {
  input x: f32[N, 37]
  input w: f32[45, 37]
  input b: f32[45]
  input dy: f32[N, 45]
  input pre: f32[N, 37]
  input v: f32[37]
  const z: f32[] = 0.0
  mm = MatMul(x, w) {transB=1}
  s = Add(mm, b)
  r = Relu(s)
  m = Greater(pre, z)
  dx = MatMul(dy, w)
  g = Where(m, dx, z)
  mv = MatMul(x, v)
  th = Tanh(mv)
  output r
  output g
  output th
})", sumOf(45), Groups{"mm s r", "m dx g", "mv th"});
}

TEST(CodegenFusion, WeightGradientOptimizerEpilogue) {
  // An Adam-like update of a weight gradient: outputs of dw's shape from one
  // kernel, the moment's own product (a1) moved in. The step size lr2, a
  // scalar expression of an input computed after dw (as an optimizer's bias
  // corrections are, at the end of the step), is computed by the kernel
  // itself: the whole update is dw's epilogue. Row-vector dw (one input
  // channel) and channel-vector dw (16 input channels).
  const char *update = R"(
  a1 = Mul(m0, c1)
  a2 = Mul(dw, c2)
  m1 = Add(a1, a2)
  sq = Mul(dw, dw)
  va = Abs(v0)
  v1 = Add(va, sq)
  sd = Sqrt(v1)
  de = Add(sd, eps)
  st = Div(m1, de)
  lr2 = Mul(lr, c2)
  sl = Mul(st, lr2)
  p1 = Sub(p, sl)
  output m1
  output v1
  output p1
})";
  auto graph = [&](const std::string &x, const std::string &dy, const std::string &w) {
    return "graph t {\n  input x: " + x + "\n  input dy: " + dy + "\n  input m0: " + w +
           "\n  input v0: " + w + "\n  input p: " + w + "\n  input lr: f32[]" +
           "\n  const c1: f32[] = 0.9\n  const c2: f32[] = 0.1\n  const eps: f32[] = 1e-08\n"
           "  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}" +
           update;
  };
  Groups want{"dw a1 a2 m1 sq va v1 sd de st lr2 sl p1"};
  checkGroupsBothIsas(graph("f32[N, 1, 13, 20]", "f32[N, 6, 13, 20]", "f32[6, 1, 3, 3]"),
                      sumOf(5 * 13 * 20, 5), want);
  checkGroupsBothIsas(graph("f32[N, 16, 14, 14]", "f32[N, 32, 14, 14]", "f32[32, 16, 3, 3]"),
                      sumOf(5 * 14 * 14, 5), want);
}

TEST(CodegenFusion, ChannelTilesKeepTheirOwnKernelButTakeAnEpilogue) {
  // 32 output channels and 144-term sums take tiles along channels: no
  // epilogue there (it measured slower than its own kernel). A group made
  // by hand still computes right (the epilogue stored across planes).
  const char *text = R"(graph t {
  input x: f32[N, 16, 9, 14]
  input w: f32[32, 16, 3, 3]
  input b: f32[1, 32, 1, 1]
  y = Conv(x, w) {pads=[1, 1, 1, 1]}
  s = Add(y, b)
  r = Relu(s)
  output r
})";
  BackendCheckOptions o = sumOf(144, 3);
  EXPECT_EQ(checkGroups(text, o), (Groups{"y", "s r"}));
  auto parsed = dlc::parseDlg(text, "t.dlg", "");
  ASSERT_TRUE(bool(parsed)) << parsed.error().message();
  dlc::codegen::KernelGroup kg;
  for (const auto &n : (*parsed)->nodes())
    kg.nodes.push_back(n.get());
  const auto &gi = (*parsed)->inputs();
  kg.inputs = {gi[0], gi[1], gi[2]};
  kg.outputs = {(*parsed)->outputs()[0].second};
  uint64_t seed = 3;
  std::vector<dlc::Tensor> ins;
  std::map<std::string, dlc::Tensor> feeds;
  for (const dlc::Value *v : kg.inputs) {
    ins.push_back(dlc::test::randomTensor(v->type, o, seed));
    feeds[v->name] = ins.back();
  }
  auto want = dlc::interpret(**parsed, feeds);
  ASSERT_TRUE(bool(want)) << want.error().message();
  for (const Halide::Target &t : {dlc::codegen::hostTarget(), kAvx2}) {
    auto got = dlc::codegen::runKernelJit(kg, ins, t, o.syms);
    ASSERT_TRUE(bool(got)) << got.error().message();
    dlc::test::expectClose((*got)[0], want->outputs[0], o, "fused channel tile " + t.to_string());
  }
}

// The AVX2 templates (other tile sizes; a strided transpose split by phase
// and a row-vector weight gradient among them) run on this machine too: their
// results match the AVX-512 kernels' (checked against the reference above).
TEST(CodegenConv, Avx2TemplatesMatchAvx512) {
  auto parsed = dlc::parseDlg(R"(graph t {
  input x: f32[3, 16, 13, 14]
  input w: f32[24, 16, 3, 3]
  input dy: f32[3, 24, 13, 14]
  input a: f32[37, 61]
  input b: f32[45, 61]
  input x1: f32[3, 1, 13, 20]
  input dy1: f32[3, 6, 13, 20]
  y = Conv(x, w) {pads=[1, 1, 1, 1]}
  dx = ConvTranspose(dy, w) {pads=[1, 1, 1, 1]}
  dxs = ConvTranspose(dy, w) {strides=[2, 2], pads=[1, 1, 1, 1]}
  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  dw1 = ConvGradWeight(x1, dy1) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  nt = MatMul(a, b) {transB=1}
  output y
})", "avx2.dlg", "");
  ASSERT_TRUE(bool(parsed)) << parsed.error().message();
  Halide::Target avx2("x86-64-linux-avx-avx2-f16c-fma-sse41");
  BackendCheckOptions o = sumOf(3 * 13 * 14);
  uint64_t seed = 11;
  for (const auto &n : (*parsed)->nodes()) {
    auto g = dlc::codegen::singleNodeGroup(*n);
    std::vector<dlc::Tensor> ins;
    for (const dlc::Value *v : g.inputs)
      ins.push_back(dlc::test::randomTensor(v->type, o, seed));
    auto want = dlc::codegen::runKernelJit(g, ins, dlc::codegen::hostTarget());
    auto got = dlc::codegen::runKernelJit(g, ins, avx2);
    ASSERT_TRUE(want && got) << n->describe();
    dlc::test::expectClose((*got)[0], (*want)[0], o, n->describe() + " (avx2)");
  }
}

// Each template compiles for CUDA into a module; nothing runs.
TEST(CodegenCuda, SchedulesCompileForCuda) {
  auto parsed = dlc::parseDlg(R"(graph t {
  input x: f32[N, 16, 14, 14]
  input w: f32[32, 16, 3, 3]
  input dy: f32[N, 32, 14, 14]
  input xd: f32[N, 6, 9, 10]
  input wd: f32[6, 1, 3, 3]
  input a: f32[N, 784]
  input fw: f32[256, 784]
  input g: f32[N, 256]
  y = Conv(x, w) {pads=[1, 1, 1, 1]}
  s = Conv(x, w) {strides=[2, 2], pads=[1, 1, 1, 1]}
  d = Conv(xd, wd) {group=6, pads=[1, 1, 1, 1]}
  dx = ConvTranspose(dy, w) {pads=[1, 1, 1, 1]}
  dw = ConvGradWeight(x, dy) {kernel_shape=[3, 3], pads=[1, 1, 1, 1]}
  nt = MatMul(a, fw) {transB=1}
  nn = MatMul(g, fw)
  tn = MatMul(g, a) {transA=1}
  output y
})", "cuda.dlg", "");
  ASSERT_TRUE(bool(parsed)) << parsed.error().message();
  Halide::Target cuda("host-cuda-cuda_capability_86");
  for (const auto &n : (*parsed)->nodes()) {
    auto k = dlc::codegen::buildKernel(dlc::codegen::singleNodeGroup(*n), cuda, "k_" + n->name);
    ASSERT_TRUE(bool(k)) << n->describe() << ": " << k.error().message();
    try {
      Halide::Module m = k->pipeline.compile_to_module(k->args, "k_" + n->name, cuda);
      // The device code is a buffer of PTX inside the module.
      bool ptx = false;
      for (const auto &b : m.buffers())
        ptx |= b.size_in_bytes() > 0 && std::string(b.name()).find("gpu_source_kernels") != std::string::npos;
      EXPECT_TRUE(ptx) << n->describe() << ": no GPU kernels in the module";
    } catch (const Halide::Error &e) {
      ADD_FAILURE() << n->describe() << ": " << e.what();
    }
  }
}
