// Kernel benchmarks: the Halide kernels of Conv (forward), ConvTranspose (as
// Conv's input gradient), ConvGradWeight and MatMul (NN, NT, TN), each with
// its schedule template for this machine, JIT-compiled once outside the timed
// loop, against oneDNN's primitives on the same shape in the same run:
// convolution_forward / _backward_data / _backward_weights in the blocked
// layout oneDNN picks (format_tag::any) and in plain NCHW, and matmul.
// Shapes: the sample models' layers at batch 64 and PERF-NOTES' reference
// 3x3 layer. Each benchmark reports GFLOP/s as the counter `GFLOPs`.
//
//   dlc-kernel-bench --threads=N [--avx2] [--cuda] [--static-batch] [benchmark flags]
//
// The batch is a symbolic dim N bound to 64 at run time, as in every
// artifact dlc writes (a model's batch is N); --static-batch compiles the
// kernels for exactly 64 instead. The two differ where bounds inference
// cannot prove what a static shape shows (a chunked weight gradient ran 4x
// slower at batch N than at 64, unseen while this bench was static).
//
// --avx2 adds each Halide kernel compiled for x86-64 AVX2 (its own register
// tiles; the artifact's AVX2 fallback) as the implementation halide_avx2.
//
// --cuda runs the same sweep on the GPU instead: each kernel compiled as
// --target=host-cuda compiles it (its CUDA schedule, PTX through Halide's
// JIT) as halide_cuda, no CPU peers. The inputs go to the device once, on
// the warm-up run; each timed run is the kernel launches plus a device sync,
// no transfers. Without a usable CUDA device it exits 1 at once, saying why.
//
// --threads pins both thread pools (Halide's HL_NUM_THREADS, oneDNN's
// OpenMP OMP_NUM_THREADS) to N: both are read once when each runtime starts,
// so the program sets them and re-executes itself before touching either.
#include "codegen/Kernel.h"
#include "dlrt/Cuda.h"
#include "frontend/dlg/Parser.h"

#include <benchmark/benchmark.h>
#include <dnnl.hpp>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <unistd.h>

using namespace dlc;
namespace hl = Halide;

namespace {

constexpr int kBatch = 64;
int gThreads = 1;
bool gAvx2 = false, gCuda = false, gStaticBatch = false;

// A tensor's shape, innermost first, its symbolic dims (the batch) bound to
// kBatch.
std::vector<int> boundShape(const TensorType &t) {
  std::vector<int> sizes;
  for (auto d = t.dims.rbegin(); d != t.dims.rend(); ++d)
    sizes.push_back(d->isStatic() ? static_cast<int>(d->value) : kBatch);
  return sizes;
}

// How the bench's .dlg texts write a dim: the batch as N unless --static-batch.
std::string dimText(int v, bool batch) {
  return batch && !gStaticBatch ? "N" : std::to_string(v);
}

// This machine's target without AVX-512: what --target=x86-64-avx2 gives.
hl::Target avx2Target() {
  return codegen::hostTarget()
      .without_feature(hl::Target::AVX512)
      .without_feature(hl::Target::AVX512_Skylake)
      .without_feature(hl::Target::AVX512_Cannonlake)
      .without_feature(hl::Target::AVX512_SapphireRapids);
}

void fillRandom(float *p, size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (size_t i = 0; i < n; ++i)
    p[i] = u(rng);
}

// ---- Halide -----------------------------------------------------------------

// One node's kernel, compiled once, with inputs bound and the output
// allocated: the timed loop only runs it.
struct HalideRun {
  codegen::BuiltKernel k;
  std::vector<hl::Buffer<float>> ins;
  hl::Buffer<float> out;
  hl::Target target;

  explicit HalideRun(const std::string &text, hl::Target t = codegen::hostTarget()) : target(t) {
    auto g = parseDlg(text, "bench.dlg", "");
    if (!g)
      throw std::runtime_error(g.error().message());
    graph = std::move(*g);
    const Node &n = *graph->nodes().front();
    auto built = codegen::buildKernel(codegen::singleNodeGroup(n), target, "bench");
    if (!built)
      throw std::runtime_error(built.error().message());
    k = *built;
    unsigned seed = 1;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      hl::Buffer<float> b(boundShape(n.inputs[i]->type));
      fillRandom(b.data(), b.number_of_elements(), seed++);
      b.set_host_dirty(); // a GPU kernel copies it to the device only then
      k.params[i].set(b);
      ins.push_back(b);
    }
    out = hl::Buffer<float>(boundShape(n.outputs[0]->type));
    k.pipeline.compile_jit(target);
    run(); // the first run starts the thread pool and faults pages in
  }
  void run() {
    k.pipeline.realize(out, target);
    if (target.has_gpu_feature()) // launches are asynchronous
      out.device_sync();
  }

  std::unique_ptr<Graph> graph;
};

// ---- oneDNN -----------------------------------------------------------------

using dnnl::memory;
using tag = memory::format_tag;

struct Dnnl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
};
Dnnl &dnnlCtx() {
  static Dnnl d;
  return d;
}

memory filled(const memory::desc &d, unsigned seed) {
  memory m(d, dnnlCtx().eng);
  fillRandom(static_cast<float *>(m.get_data_handle()), d.get_size() / sizeof(float), seed);
  return m;
}

struct DnnlRun {
  dnnl::primitive prim;
  std::unordered_map<int, memory> args;
  void run() {
    prim.execute(dnnlCtx().strm, args);
    dnnlCtx().strm.wait();
  }
};

// ---- Shapes -----------------------------------------------------------------

struct ConvShape {
  const char *name;
  int C, O, H, W, k, s, p;
  int outH() const { return (H + 2 * p - k) / s + 1; }
  int outW() const { return (W + 2 * p - k) / s + 1; }
};
// LeNet-5, vgg_small and resnet_small (models/*.dlg), and PERF-NOTES' layer.
const ConvShape kConvs[] = {
    {"lenet.conv1", 1, 6, 28, 28, 5, 1, 2},   {"lenet.conv2", 6, 16, 14, 14, 5, 1, 0},
    {"vgg.conv1", 1, 32, 28, 28, 3, 1, 1},    {"vgg.conv2", 32, 32, 28, 28, 3, 1, 1},
    {"vgg.conv3", 32, 64, 14, 14, 3, 1, 1},   {"vgg.conv4", 64, 64, 14, 14, 3, 1, 1},
    {"resnet.conv1", 1, 16, 28, 28, 3, 1, 1}, {"resnet.l1", 16, 16, 28, 28, 3, 1, 1},
    {"resnet.l2.conv1", 16, 32, 28, 28, 3, 2, 1}, {"resnet.l2.conv2", 32, 32, 14, 14, 3, 1, 1},
    {"resnet.l3.conv1", 32, 64, 14, 14, 3, 2, 1}, {"resnet.l3.conv2", 64, 64, 7, 7, 3, 1, 1},
    {"perfnotes.3x3", 32, 64, 28, 28, 3, 1, 1},
};

enum class Pass { Fwd, BwdData, BwdWeights };
const char *passName(Pass p) {
  return p == Pass::Fwd ? "fwd" : p == Pass::BwdData ? "bwd_data" : "bwd_weights";
}

double convFlops(const ConvShape &c) {
  return 2.0 * kBatch * c.O * c.C * c.k * c.k * c.outH() * c.outW();
}

std::string convText(const ConvShape &c, Pass p) {
  auto sh = [](std::initializer_list<int> d, bool batched) { // x, dy: the first dim
    std::string s;
    for (int v : d)
      s += (s.empty() ? "f32[" : ", ") + dimText(v, s.empty() && batched);
    return s + "]";
  };
  std::string attrs = "pads=[" + std::to_string(c.p) + ", " + std::to_string(c.p) + ", " +
                      std::to_string(c.p) + ", " + std::to_string(c.p) + "], strides=[" +
                      std::to_string(c.s) + ", " + std::to_string(c.s) + "]";
  std::string x = sh({kBatch, c.C, c.H, c.W}, true), w = sh({c.O, c.C, c.k, c.k}, false),
              dy = sh({kBatch, c.O, c.outH(), c.outW()}, true);
  std::string k = std::to_string(c.k);
  switch (p) {
  case Pass::Fwd:
    return "graph b {\n input x: " + x + "\n input w: " + w + "\n y = Conv(x, w) {" + attrs +
           "}\n output y\n}\n";
  case Pass::BwdData:
    // Conv's dx: ConvTranspose(dy, w) with Conv's attributes, the output
    // padding restoring x's size where the stride drops rows.
    {
      int opH = c.H - ((c.outH() - 1) * c.s - 2 * c.p + c.k);
      int opW = c.W - ((c.outW() - 1) * c.s - 2 * c.p + c.k);
      std::string op = (opH || opW) ? ", output_padding=[" + std::to_string(opH) + ", " +
                                          std::to_string(opW) + "]"
                                    : "";
      return "graph b {\n input dy: " + dy + "\n input w: " + w +
             "\n dx = ConvTranspose(dy, w) {" + attrs + op + "}\n output dx\n}\n";
    }
  case Pass::BwdWeights:
    return "graph b {\n input x: " + x + "\n input dy: " + dy +
           "\n dw = ConvGradWeight(x, dy) {" + attrs + ", kernel_shape=[" + k + ", " + k +
           "]}\n output dw\n}\n";
  }
  return "";
}

DnnlRun dnnlConv(const ConvShape &c, Pass p, bool blocked) {
  auto &e = dnnlCtx().eng;
  memory::dims x{kBatch, c.C, c.H, c.W}, w{c.O, c.C, c.k, c.k},
      y{kBatch, c.O, c.outH(), c.outW()}, s{c.s, c.s}, pad{c.p, c.p};
  auto md = [&](const memory::dims &d, tag plain) {
    return memory::desc(d, memory::data_type::f32, blocked ? tag::any : plain);
  };
  auto alg = dnnl::algorithm::convolution_direct;
  dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, alg, md(x, tag::nchw),
                                     md(w, tag::oihw), md(y, tag::nchw), s, pad, pad);
  dnnl::convolution_forward::primitive_desc fpd(fd, e);
  DnnlRun r;
  if (p == Pass::Fwd) {
    r.prim = dnnl::convolution_forward(fpd);
    r.args = {{DNNL_ARG_SRC, filled(fpd.src_desc(), 1)},
              {DNNL_ARG_WEIGHTS, filled(fpd.weights_desc(), 2)},
              {DNNL_ARG_DST, filled(fpd.dst_desc(), 3)}};
  } else if (p == Pass::BwdData) {
    dnnl::convolution_backward_data::desc d(alg, md(x, tag::nchw), md(w, tag::oihw),
                                            md(y, tag::nchw), s, pad, pad);
    dnnl::convolution_backward_data::primitive_desc pd(d, e, fpd);
    r.prim = dnnl::convolution_backward_data(pd);
    r.args = {{DNNL_ARG_DIFF_SRC, filled(pd.diff_src_desc(), 1)},
              {DNNL_ARG_WEIGHTS, filled(pd.weights_desc(), 2)},
              {DNNL_ARG_DIFF_DST, filled(pd.diff_dst_desc(), 3)}};
  } else {
    dnnl::convolution_backward_weights::desc d(alg, md(x, tag::nchw), md(w, tag::oihw),
                                               md(y, tag::nchw), s, pad, pad);
    dnnl::convolution_backward_weights::primitive_desc pd(d, e, fpd);
    r.prim = dnnl::convolution_backward_weights(pd);
    r.args = {{DNNL_ARG_SRC, filled(pd.src_desc(), 1)},
              {DNNL_ARG_DIFF_WEIGHTS, filled(pd.diff_weights_desc(), 2)},
              {DNNL_ARG_DIFF_DST, filled(pd.diff_dst_desc(), 3)}};
  }
  r.run();
  return r;
}

// MLP layers and their gradients: forward x W^T (NT), dx = dy W (NN),
// dW = dy^T x (TN); M x K x N of op(A) [M, K] and op(B) [K, N].
struct MatMulShape {
  const char *name;
  int M, K, N;
  bool tA, tB;
};
const MatMulShape kMatMuls[] = {
    {"mlp.fc1.fwd_NT", 64, 784, 256, false, true}, {"mlp.fc1.dx_NN", 64, 256, 784, false, false},
    {"mlp.fc1.dw_TN", 256, 64, 784, true, false},  {"mlp.fc2.fwd_NT", 64, 256, 128, false, true},
    {"mlp.fc2.dx_NN", 64, 128, 256, false, false}, {"mlp.fc2.dw_TN", 128, 64, 256, true, false},
    {"mlp.fc3.fwd_NT", 64, 128, 10, false, true},  {"mlp.fc3.dx_NN", 64, 10, 128, false, false},
    {"mlp.fc3.dw_TN", 10, 64, 128, true, false},
};

std::string matmulText(const MatMulShape &m) {
  // The batch is op(A)'s M (forward, dx) or K (dw: dy^T x).
  auto sh = [&](int a, int b, bool aBatch, bool bBatch) {
    return "f32[" + dimText(a, aBatch) + ", " + dimText(b, bBatch) + "]";
  };
  bool mB = m.M == kBatch, kB = m.K == kBatch;
  return "graph b {\n input a: " + (m.tA ? sh(m.K, m.M, kB, mB) : sh(m.M, m.K, mB, kB)) +
         "\n input b: " + (m.tB ? sh(m.N, m.K, false, kB) : sh(m.K, m.N, kB, false)) +
         "\n c = MatMul(a, b) {transA=" +
         std::to_string(m.tA) + ", transB=" + std::to_string(m.tB) + "}\n output c\n}\n";
}

DnnlRun dnnlMatMul(const MatMulShape &m) {
  auto f32 = memory::data_type::f32;
  memory::desc a({m.M, m.K}, f32, m.tA ? tag::ba : tag::ab);
  memory::desc b({m.K, m.N}, f32, m.tB ? tag::ba : tag::ab);
  memory::desc c({m.M, m.N}, f32, tag::ab);
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), dnnlCtx().eng);
  DnnlRun r;
  r.prim = dnnl::matmul(pd);
  r.args = {{DNNL_ARG_SRC, filled(a, 1)}, {DNNL_ARG_WEIGHTS, filled(b, 2)},
            {DNNL_ARG_DST, filled(c, 3)}};
  r.run();
  return r;
}

// ---- Registration ------------------------------------------------------------

template <typename Make>
void add(const std::string &name, double flops, Make make) {
  benchmark::RegisterBenchmark(name.c_str(), [flops, make](benchmark::State &st) {
    // A kernel that cannot run (a GPU error on its warm-up run) is reported
    // as that benchmark's error; the sweep goes on.
    std::optional<decltype(make())> r;
    try {
      r.emplace(make());
    } catch (const std::exception &e) {
      st.SkipWithError(e.what());
      return;
    }
    for (auto _ : st)
      r->run();
    st.counters["GFLOPs"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    st.counters["threads"] = gThreads;
  })->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.3);
}

// What --target=host-cuda compiles for.
hl::Target cudaTarget() {
  return codegen::hostTarget()
      .with_feature(hl::Target::CUDA)
      .with_feature(hl::Target::CUDACapability86);
}

void registerCuda() {
  for (const ConvShape &c : kConvs)
    for (Pass p : {Pass::Fwd, Pass::BwdData, Pass::BwdWeights})
      add(std::string("conv/") + c.name + "/" + passName(p) + "/halide_cuda", convFlops(c),
          [c, p] { return HalideRun(convText(c, p), cudaTarget()); });
  for (const MatMulShape &m : kMatMuls)
    add(std::string("matmul/") + m.name + "/halide_cuda", 2.0 * m.M * m.N * m.K,
        [m] { return HalideRun(matmulText(m), cudaTarget()); });
}

void registerAll() {
  if (gCuda)
    return registerCuda();
  std::string t = "/threads:" + std::to_string(gThreads);
  for (const ConvShape &c : kConvs)
    for (Pass p : {Pass::Fwd, Pass::BwdData, Pass::BwdWeights}) {
      std::string base = std::string("conv/") + c.name + "/" + passName(p);
      double f = convFlops(c);
      add(base + "/halide" + t, f, [c, p] { return HalideRun(convText(c, p)); });
      if (gAvx2)
        add(base + "/halide_avx2" + t, f, [c, p] { return HalideRun(convText(c, p), avx2Target()); });
      add(base + "/onednn_blocked" + t, f, [c, p] { return dnnlConv(c, p, true); });
      add(base + "/onednn_nchw" + t, f, [c, p] { return dnnlConv(c, p, false); });
    }
  for (const MatMulShape &m : kMatMuls) {
    std::string base = std::string("matmul/") + m.name;
    double f = 2.0 * m.M * m.N * m.K;
    add(base + "/halide" + t, f, [m] { return HalideRun(matmulText(m)); });
    if (gAvx2)
      add(base + "/halide_avx2" + t, f, [m] { return HalideRun(matmulText(m), avx2Target()); });
    add(base + "/onednn" + t, f, [m] { return dnnlMatMul(m); });
  }
}

} // namespace

int main(int argc, char **argv) {
  std::vector<char *> args;
  for (int i = 0; i < argc; ++i)
    if (!std::strncmp(argv[i], "--threads=", 10))
      gThreads = std::atoi(argv[i] + 10);
    else if (!std::strcmp(argv[i], "--avx2"))
      gAvx2 = true;
    else if (!std::strcmp(argv[i], "--cuda"))
      gCuda = true;
    else if (!std::strcmp(argv[i], "--static-batch"))
      gStaticBatch = true;
    else
      args.push_back(argv[i]);
  std::string n = std::to_string(gThreads);
  const char *hl = std::getenv("HL_NUM_THREADS"), *omp = std::getenv("OMP_NUM_THREADS");
  if (!hl || !omp || n != hl || n != omp) {
    // Both runtimes read their thread count once, at start: set it and
    // start again.
    setenv("HL_NUM_THREADS", n.c_str(), 1);
    setenv("OMP_NUM_THREADS", n.c_str(), 1);
    execv("/proc/self/exe", argv);
    perror("execv");
    return 1;
  }
  if (gCuda) {
    if (dlrt::Status s = dlrt::cudaDeviceCheck(); !s) {
      std::fprintf(stderr, "dlc-kernel-bench: --cuda: %s\n", s.error().message().c_str());
      return 1;
    }
    std::fprintf(stderr, "dlc-kernel-bench: CUDA device %s\n", dlrt::cudaDeviceName().c_str());
  }
  int ac = static_cast<int>(args.size());
  benchmark::Initialize(&ac, args.data());
  registerAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
