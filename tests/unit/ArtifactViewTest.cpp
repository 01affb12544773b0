// Views in the artifact (Kernel.cpp's groupNodes, Artifact.cpp's buffer
// plan, the runtime's alias buffers): a Reshape runs no kernel and its
// buffer aliases its source's memory. A view of an entry input, of a
// parameter, of a temp whose memory must outlive the kernels that follow
// (the arena reuses a temp's memory once its life ends), and views that are
// entry outputs must all give the reference interpreter's outputs, at two
// batch sizes (the plan is redone for each binding of N).
#include "BackendCheck.h"

#include "codegen/Artifact.h"
#include "dlrt/Runtime.h"

#include <filesystem>

namespace dlc::test {
namespace {

const char *kViews = R"(graph views {
  input x: f32[N, 2, 6]
  param w: f32[12, 5] = he_normal(seed=1)
  param b: f32[5] = normal(seed=2)
  xf = Reshape(x) {shape=[N, 12]}
  a = Relu(xf)
  a3 = Reshape(a) {shape=[N, 3, 4]}
  t = Transpose(a3) {perm=[0, 2, 1]}
  e = Exp(t)
  tt = Transpose(e) {perm=[0, 2, 1]}
  tf = Reshape(tt) {shape=[N, 12]}
  a12 = Reshape(a3) {shape=[N, 4, 3]}
  a12f = Reshape(a12) {shape=[N, 12]}
  s = Add(a12f, tf)
  mm = MatMul(s, w)
  y = Add(mm, b)
  bv = Reshape(b) {shape=[1, 5]}
  output y
  output a3
  output xf
  output bv
})";

TEST(ArtifactViews, ReshapesAreViewsAndAgreeWithTheInterpreter) {
  auto g = parseDlg(kViews, "views.dlg", "");
  ASSERT_TRUE(g) << g.error().message();
  // No Reshape is a kernel.
  for (const codegen::KernelGroup &kg : codegen::groupNodes(**g))
    if (kg.nodes.front()->op == OpKind::Reshape)
      EXPECT_TRUE(kg.viewOf) << kg.nodes.front()->name << " is a copy kernel";
  std::string dir = ::testing::TempDir() + "dlc-artifact-views";
  std::filesystem::create_directories(dir);
  codegen::ArtifactOptions o;
  o.cacheDir = dir + "/cache";
  ASSERT_TRUE(codegen::writeArtifact(**g, TrainSpec{}, o, dir + "/views.dlm"));
  auto m = dlrt::Model::load(dir + "/views.dlm");
  ASSERT_TRUE(m) << m.error().message();
  for (int64_t batch : {3, 1}) {
    BackendCheckOptions opt;
    opt.syms = {{"N", batch}};
    uint64_t seed = 5 + batch;
    Tensor x = randomTensor((*g)->inputs()[0]->type, opt, seed);
    auto want = interpret(**g, {{"x", x}});
    ASSERT_TRUE(want) << want.error().message();
    auto got = (*m)->run("infer", {{"x", x}});
    ASSERT_TRUE(got) << got.error().message();
    ASSERT_EQ(got->size(), want->outputs.size());
    for (size_t i = 0; i < got->size(); ++i)
      expectClose((*got)[i], want->outputs[i], opt,
                  (*g)->outputs()[i].first + " at batch " + std::to_string(batch));
  }
}

TEST(ArtifactViews, AnUpdatesSourceAndAScalarExpressionAreNoViews) {
  // The runtime may swap an update's buffer with the state's own memory,
  // which a view of another buffer cannot be; a Reshape of a scalar
  // expression has no buffer to alias (kernels compute it): both stay copy
  // kernels. The plain Reshape beside them is a view.
  auto g = parseDlg(R"(graph u {
  input x: f32[2, 6]
  input lr: f32[]
  state s: f32[12] = zeros
  state k: f32[1] = zeros
  r = Reshape(x) {shape=[12]}
  h = Mul(lr, lr)
  h1 = Reshape(h) {shape=[1]}
  v = Reshape(x) {shape=[3, 4]}
  y = Relu(v)
  update s = r
  update k = h1
  output y
})",
                    "u.dlg", "");
  ASSERT_TRUE(g) << g.error().message();
  std::map<std::string, bool> view;
  for (const codegen::KernelGroup &kg : codegen::groupNodes(**g))
    view[kg.nodes.back()->name] = kg.viewOf != nullptr;
  EXPECT_FALSE(view.at("r"));
  EXPECT_FALSE(view.at("h1"));
  EXPECT_TRUE(view.at("v"));
}

} // namespace
} // namespace dlc::test
