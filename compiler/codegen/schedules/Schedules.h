// Schedule templates of the heavy op families (MatMul, Conv, ConvTranspose,
// ConvGradWeight), per target: x86-64 AVX-512, x86-64 AVX2 (and SSE as a
// smaller AVX2), CUDA.
//
// A lowering (ops/MatMul.cpp, ops/Conv.cpp) defines the algorithm as a few
// Funcs and hands them over in one of the structs below; its
// LowerCtx::schedule calls the template with the kernel's output Func. The
// staging Funcs (zero-padded operands, repacked weights, transposed
// gradients) are identities in the algorithm: a template decides where they
// are computed (CPU: once per image or once per call; CUDA: inlined).
//
// All Func arguments below are in Halide order (innermost first), i.e. the
// IR's axis order reversed.
#pragma once

#include "codegen/Lower.h"

#include <functional>
#include <utility>

namespace dlc::codegen {

// Algorithm helpers shared by the heavy lowerings (defined in ops/MatMul.cpp).
// t read as zero outside its extents: the padding of convolutions, and what
// lets a schedule compute whole register tiles past the edges of odd shapes.
Halide::Func zeroExterior(const HTensor &t);
// Accumulation type: f16 sums in f32 (the kernel builder casts back).
Halide::Type accType(Halide::Type t);

// C = op(A) x op(B) with numpy batch broadcasting.
struct MatMulFuncs {
  Halide::Func a;    // a(k, m, batchA...) = op(A)[batch, m, k], zero outside
  Halide::Func b;    // b(n, k, batchB...) = op(B)[batch, k, n], zero outside
  Halide::Func prod; // prod(n?, m?, batch...) = 0; += a * b over k
  Halide::RDom k;
  bool hasM = true, hasN = true; // false for a 1-D operand
  bool aT = false, bT = false;    // A stored [K, M], B stored [N, K]
};
void scheduleMatMul(ScheduleCtx &s, MatMulFuncs f);

// Direct convolutions. Conv (forward) and ConvTranspose (in its role as
// Conv's input gradient) share one structure:
//   prod(q..., o, n) = bias(o); += X(q, k, c) * w(o, k..., c)
// over r = (k..., c); GradWeight is
//   prod(k..., c, o) = 0; += x(q s + k d - p, c, n) * dy(o, q..., n)
// over r = (q..., n), every output position and image (see
// gradWeightRowMultiple for the row-vector form).
struct ConvFuncs {
  enum Kind { Forward, Transpose, GradWeight } kind = Forward;
  int spatial = 2;   // 1, 2 or 3 spatial axes
  int64_t group = 1;
  Halide::Func x;    // x(s..., c, n), zero outside (the padding)
  Halide::Func w;    // Forward/Transpose: repacked w(o, k..., c), zero outside
  Halide::Func dy;   // GradWeight: dy(o, q..., n), zero outside (row vectors:
                     // dy(q..., o, n), read in place)
  Halide::Func prod; // the op's value
  Halide::RDom r;    // prod's reduction
  // GradWeight: x is the input itself, not staged padded; r's predicate
  // skips the terms that would read past its edges (gradWeightReadsXInPlace).
  bool xInPlace = false;
  // Transpose split by output phase (a strided one on a CPU): prod picks,
  // per output, the sum of its phase, phases[i] (the same arguments as
  // prod's, the strided axes in units of the stride) over phaseR[i].
  std::vector<Halide::Func> phases;
  std::vector<Halide::RDom> phaseR;
};
// GradWeight: the vector width where the template vectorizes along output
// rows (the lowering then splits each row of the sum into lanes x chunks,
// r = (lane, chunk, rows..., n)), else 1.
int64_t gradWeightRowMultiple(const Node &n, const Halide::Target &t);
// GradWeight: whether the template reads x in place (ConvFuncs::xInPlace).
bool gradWeightReadsXInPlace(const Node &n, const Halide::Target &t);
void scheduleConv(ScheduleCtx &s, ConvFuncs f);
// Whether a conv's kernel takes a fused element-wise epilogue at no loss
// (Kernel.cpp's groupNodes asks): weight gradients (sums at root, the
// epilogue one pass over dw) and forward or transpose tiles along output
// rows (the epilogue vectorized as they are stored). Tiles along output
// channels store across channel planes: an epilogue there read its operands
// the same way, or from a per-image staging buffer, and measured 10-20%
// slower than its own kernel (resnet_small's 28x28 input gradients); so did
// the interleaving loop of a strided transpose split by phase.
bool convTakesEpilogue(const Node &n, const Halide::Target &t);

// Pooling and its gradients (ops/NN.cpp, schedules/Pool.cpp): the window
// strides per spatial axis (IR order); for MaxPoolGrad the first-max tap of
// each window, arg(dy's args), and whether windows are disjoint (each input
// position in at most one). Sets c.schedule (CPU) or places arg (CUDA).
struct PoolFuncs {
  std::vector<int64_t> strides;
  Halide::Func arg;
  bool disjoint = true;
  bool grad = false;
};
void schedulePool(LowerCtx &c, PoolFuncs f);

// A sum over some axes of a tensor (ops/Reduce.cpp's splitSum: BatchNorm
// statistics, bias gradients) of terms(idx), the summands at the tensor's
// index idx (IR order), one sum per term in type `acc`. Where the innermost
// axis (rows of `row` elements) is reduced, the sum is split: lanes(l, j?,
// kept...) sums each vector lane l of row chunk j (chunks of `vw` elements
// starting at min(j * vw, row - vw), positions of an earlier chunk masked)
// over the other reduced axes; j is an argument (a separate accumulator per
// chunk) if `chunkAccumulators`, else reduced too; total(kept...) adds the
// lanes up. Else `total` sums everything and `lanes` is undefined.
struct SplitSum {
  Halide::Func lanes, total;
  int vw = 1;
  bool chunkAccumulators = false;
  bool innerKept = false; // total's first argument is the innermost axis
  int64_t work = 0;       // terms summed (64 per symbolic dim)
};
SplitSum splitSum(const std::vector<Halide::Expr> &extents, const std::vector<bool> &reduced,
                  Halide::Type acc, const Halide::Target &t,
                  const std::function<std::vector<Halide::Expr>(const std::vector<Halide::Expr> &)> &terms,
                  const std::string &name);
// The lanes and chunking of a split sum of `terms` sums (schedules/Reduce.cpp).
void splitSumLanes(SplitSum &s, int64_t row, Halide::Type acc, int terms, const Halide::Target &t);
void scheduleSplitSum(const SplitSum &s, const Halide::Target &t);
// The widest power of two of at most `lanes` lanes that fits `extent`.
int fitLanes(int64_t extent, int lanes);

// Register-tile sizes per ISA: the vector width (f32 lanes), how many
// accumulator vectors a tile may hold without spilling, and how many of them
// may lie along the vector axis. AVX-512 has 32 zmm registers, AVX2 16 ymm.
struct CpuTiling {
  int vw;      // f32 lanes per vector
  int convAcc; // conv tiles: PERF-NOTES measured 16 fast, 24 spilling
  int maxVecs; // vectors along the vectorized axis in a conv tile
  // Matmul tiles (vectors along n, rows along m) that fit the registers,
  // best first; the template takes the one wasting least on the shape.
  std::vector<std::pair<int, int>> mmTiles;
};
CpuTiling cpuTiling(const Halide::Target &t);

// Shared template pieces (schedules/Tiling.cpp).
//
// Declares the static extents of the kernel output (the node's type), so
// that tail guards fold away where tiles divide the shape.
void boundStaticOutput(ScheduleCtx &s);
// One axis of a register tile: an argument index (Halide order) of both the
// kernel output and the heavy Func, and the tile's extent along it.
struct TileDim {
  int arg;
  int size;
};
// Splits `out` into tiles (tails guarded), computes `prod` per tile at a
// fixed size (bound_extent: its inputs read zeros past the edges), keeps the
// whole tile in registers: tile[0] is the vector axis (size a multiple of
// vw), the other tile axes are unrolled, and the reduction loops run outside
// the tile (prod's update reduces over `red`). `parallelArg` (an argument index; its
// outer tile loop if tiled, -1 for none) runs across threads.
// `transposeStore`: out is an intermediate of static strides, where a tile
// whose vectors do not run along out's rows is stored transposed in
// registers.
void registerTile(Halide::Func out, Halide::Func prod, const Halide::RDom &red,
                  const std::vector<TileDim> &tile, int vw, int parallelArg,
                  bool transposeStore = false);
// A staged input (ops/Conv.cpp's stageInput: zeros, then the input copied
// in) computed at `level` of `consumer`, along rows in vectors.
void stageAt(Halide::Func x, Halide::Func consumer, Halide::VarOrRVar level, int vw);
// A schedule for any shape: prod at root, vectorized along its innermost
// axis with guarded tails.
void plainCpuSchedule(Halide::Func prod, int vw);
// The kernel output of a sum computed at root (a weight gradient, a
// matrix-vector product) when it applies a fused epilogue: vectorized along
// its innermost axes, fused while their static extents are short (3x3
// taps), the output buffers declared dense for that.
void vectorizeRootOutput(ScheduleCtx &s, int vw);
// CUDA: one GPU thread per output element, the reduction in the thread.
void gpuSchedule(Halide::Func out, Halide::Func prod);

} // namespace dlc::codegen
