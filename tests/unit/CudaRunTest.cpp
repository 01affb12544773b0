// CUDA artifacts run on a GPU and agree with the CPU artifact of the same
// model: a small conv net and LeNet-5, each compiled for host-cuda and for
// host, given the same inputs; two training steps (so the second reads
// values the first wrote back from the device), then eval and infer. The
// CPU artifact is the oracle here because its own agreement with the
// reference interpreter is checked elsewhere (e2e-halide_train).
//
// Every test is skipped, with the reason, where no CUDA device is usable
// (dlrt::cudaDeviceCheck: the driver is loaded at run time, nothing links
// CUDA), and skips before compiling anything, so it costs nothing there.
//
// Tolerances: float32 kernels whose reductions run in another order on the
// GPU (one thread per output, the sum in the thread) than on the CPU
// (vectorized tiles). Each tensor must agree within 1e-4 of its largest
// magnitude (at least 1e-5 absolute); the optimizer is SGD with momentum, so
// parameter updates are linear in the gradients and inherit their error
// (Adam's division by sqrt(v) would turn a tiny gradient's rounding into a
// full-sized step of either sign).
#include "codegen/Artifact.h"
#include "dlrt/Cuda.h"
#include "dlrt/File.h"
#include "dlrt/Runtime.h"
#include "frontend/dlg/Parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

namespace {

using dlrt::DType;
using dlrt::Tensor;

class CudaRun : public ::testing::Test {
protected:
  void SetUp() override {
    if (dlrt::Status s = dlrt::cudaDeviceCheck(); !s)
      GTEST_SKIP() << "needs a CUDA device: " << s.error().message();
    std::cout << "device: " << dlrt::cudaDeviceName() << "\n";
  }
};

std::string dir() {
  std::string d = ::testing::TempDir() + "dlc-cuda-run";
  std::filesystem::create_directories(d);
  return d;
}

// The model compiled for `target`, its train block's optimizer replaced by
// SGD with momentum (see the tolerances above).
std::unique_ptr<dlrt::Model> compile(const std::string &dlg, const std::string &name,
                                     const std::string &target) {
  auto g = dlc::parseDlg(dlg, name + ".dlg", "");
  EXPECT_TRUE(g) << (g ? "" : g.error().message());
  if (!g)
    return nullptr;
  dlc::TrainSpec spec = (*g)->train;
  spec.optimizer.kind = "sgd";
  spec.optimizer.args = {{"lr", 0.05}, {"momentum", 0.9}};
  dlc::codegen::ArtifactOptions o;
  o.target = target;
  o.cacheDir = dir() + "/cache";
  std::string path = dir() + "/" + name + "-" + target + ".dlm";
  if (dlrt::Status s = dlc::codegen::writeArtifact(**g, spec, o, path); !s) {
    ADD_FAILURE() << s.error().message();
    return nullptr;
  }
  auto m = dlrt::Model::load(path);
  EXPECT_TRUE(m) << (m ? "" : m.error().message());
  return m ? std::move(*m) : nullptr;
}

// Inputs of an entry at batch `batch`: images in [-1, 1), class indices
// below `classes`, the learning rate and step number.
std::map<std::string, Tensor> inputs(const dlrt::Model &m, const std::string &entry,
                                     int64_t batch, int64_t classes, int step) {
  std::mt19937 rng(7 + step);
  std::map<std::string, Tensor> in;
  auto specs = m.inputs(entry);
  EXPECT_TRUE(specs) << (specs ? "" : specs.error().message());
  for (const dlrt::TensorSpec &s : specs ? *specs : std::vector<dlrt::TensorSpec>()) {
    std::vector<int64_t> shape;
    for (int64_t d : s.dims)
      shape.push_back(d < 0 ? batch : d);
    Tensor t(s.dtype, shape);
    for (int64_t i = 0; i < t.numel(); ++i) {
      if (s.name == "lr")
        t.setDouble(i, 0.05);
      else if (s.name == "step")
        t.setDouble(i, step);
      else if (s.dtype == DType::F32 || s.dtype == DType::F64)
        t.setDouble(i, std::uniform_real_distribution<double>(-1, 1)(rng));
      else
        t.setDouble(i, static_cast<double>(rng() % classes));
    }
    in[s.name] = t;
  }
  return in;
}

void expectClose(const Tensor &gpu, const Tensor &cpu, const std::string &what) {
  ASSERT_EQ(gpu.shape(), cpu.shape()) << what;
  double scale = 0, worst = 0;
  int64_t at = 0;
  for (int64_t i = 0; i < cpu.numel(); ++i)
    scale = std::max(scale, std::abs(cpu.getDouble(i)));
  for (int64_t i = 0; i < cpu.numel(); ++i) {
    double d = std::abs(gpu.getDouble(i) - cpu.getDouble(i));
    if (!(d <= worst)) { // NaN counts as the worst
      worst = d;
      at = i;
    }
  }
  double tol = std::max(1e-5, 1e-4 * scale);
  EXPECT_LE(worst, tol) << what << ": element " << at << " is " << gpu.getDouble(at)
                        << " on the GPU, " << cpu.getDouble(at) << " on the CPU";
}

// Two train steps, then eval and infer, on both artifacts; every output and
// every parameter and state compared after each.
void compareRuns(const std::string &dlg, const std::string &name, int64_t batch,
                 int64_t classes) {
  auto gpu = compile(dlg, name, "host-cuda");
  auto cpu = compile(dlg, name, "host");
  ASSERT_TRUE(gpu && cpu);
  ASSERT_NE(gpu->target().find("cuda"), std::string::npos);
  for (int step = 1; step <= 2; ++step) {
    auto in = inputs(*cpu, "train", batch, classes, step);
    auto g = gpu->run("train", in);
    auto c = cpu->run("train", in);
    ASSERT_TRUE(g) << g.error().message();
    ASSERT_TRUE(c) << c.error().message();
    auto names = *cpu->outputs("train");
    for (size_t i = 0; i < names.size(); ++i)
      expectClose((*g)[i], (*c)[i], "train step " + std::to_string(step) + " " + names[i].name);
    for (const dlrt::TensorSpec &v : cpu->values())
      expectClose(*gpu->value(v.name), *cpu->value(v.name),
                  "after train step " + std::to_string(step) + ", " + v.name);
  }
  for (const char *entry : {"eval", "infer"}) {
    auto in = inputs(*cpu, entry, batch, classes, 3);
    auto g = gpu->run(entry, in);
    auto c = cpu->run(entry, in);
    ASSERT_TRUE(g) << g.error().message();
    ASSERT_TRUE(c) << c.error().message();
    auto names = *cpu->outputs(entry);
    for (size_t i = 0; i < names.size(); ++i)
      expectClose((*g)[i], (*c)[i], std::string(entry) + " " + names[i].name);
  }
}

TEST_F(CudaRun, SmallConvNetTrainEvalInfer) {
  compareRuns(R"(graph small {
  input x: f32[N, 1, 6, 6]
  param c.weight: f32[2, 1, 3, 3] = he_normal(seed=1)
  param c.bias: f32[2] = zeros
  param fc.weight: f32[3, 32] = xavier_uniform(seed=2)
  param fc.bias: f32[3] = zeros
  conv: f32[N, 2, 4, 4] = Conv(x, c.weight, c.bias)
  relu: f32[N, 2, 4, 4] = Relu(conv)
  flat: f32[N, 32] = Reshape(relu) {shape=[N, -1]}
  fc.mm: f32[N, 3] = MatMul(flat, fc.weight) {transB=1}
  logits: f32[N, 3] = Add(fc.mm, fc.bias)
  output logits
  train {
    loss cross_entropy(logits, label)
    optimizer sgd {lr=0.05}
  }
})",
              "small", 5, 3);
}

TEST_F(CudaRun, LeNet5TrainEvalInfer) {
  auto text = dlrt::readFile(std::string(DLC_SOURCE_DIR) + "/models/lenet5.dlg");
  ASSERT_TRUE(text) << text.error().message();
  compareRuns(*text, "lenet5", 64, 10);
}

// A run after a failed one starts clean: an input of the wrong shape fails
// before any device work, and the next good run still agrees.
TEST_F(CudaRun, RunAfterAnErrorStillAgrees) {
  const char *dlg = R"(graph tiny {
  input x: f32[N, 4]
  param w: f32[3, 4] = xavier_uniform(seed=3)
  y: f32[N, 3] = MatMul(x, w) {transB=1}
  output y
})";
  auto gpu = compile(dlg, "tiny", "host-cuda");
  auto cpu = compile(dlg, "tiny", "host");
  ASSERT_TRUE(gpu && cpu);
  auto bad = gpu->run("infer", {{"x", Tensor(DType::F32, {2, 5})}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("input 'x'"), std::string::npos) << bad.error().message();
  auto in = inputs(*cpu, "infer", 3, 1, 1);
  auto g = gpu->run("infer", in);
  auto c = cpu->run("infer", in);
  ASSERT_TRUE(g && c);
  expectClose((*g)[0], (*c)[0], "infer y");
}

} // namespace
