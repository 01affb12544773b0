// dlc-conformance: runs the ONNX backend node tests (Debian's
// libonnx-testdata, <data-dir>/<test>/model.onnx + test_data_set_*/) through
// the ONNX importer and each backend, compares every output with the ONNX
// backend tolerances (|got - want| <= atol + rtol * |want|, rtol=1e-3,
// atol=1e-7, NaN == NaN, integers and bools exact), writes a markdown pass
// table and checks each backend's passes against its baseline of expected
// passes.
//
// Backends: "reference" (the interpreter, the oracle) and "halide" (the real
// compile path: the imported graph goes through codegen::writeArtifact into a
// temporary .dlm, with kernels cached on disk under --kernel-cache, then
// dlrt::Model::load and run("infer", ...)). --halide-mode=jit instead runs the
// infer graph's kernel groups in process with codegen::runKernelJit (no disk
// cache, no linker; for comparing the two paths).
//
// Each test runs in a forked child process, so an assertion, a crash or a hang
// in the code under test costs that one test (recorded as a failure) and
// never the run; -j runs that many children at once.
//
// Exit status: 0 no regressions, 1 a baseline test no longer passes, 2 bad
// usage, 77 the data directory is missing (ctest's "skipped").
#include "frontend/onnx/OnnxImporter.h"
#include "runtime/reference/Interpreter.h"
#ifdef DLC_HAVE_HALIDE
#include "codegen/Artifact.h"
#include "codegen/Kernel.h"
#include "dlrt/Runtime.h"
#include "passes/PassRegistry.h"
#include "training/Initializers.h"
#include "training/TrainGraph.h"
#endif

#include <CLI/CLI.hpp>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef DLC_SOURCE_DIR
#define DLC_SOURCE_DIR "."
#endif
#ifndef DLC_CONFORMANCE_KERNEL_CACHE
#define DLC_CONFORMANCE_KERNEL_CACHE "/tmp/dlc-conformance-kernel-cache"
#endif

namespace fs = std::filesystem;

namespace dlc {
namespace {

constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-7;
constexpr double kSlowSeconds = 10.0;

enum class Outcome { Pass, Fail, Unsupported };

// Why a test failed, for the breakdown under the totals.
enum class FailKind {
  None,
  // The importer refuses a feature (not an op) that dlc's IR leaves out by
  // design: opsets before 7, dtypes outside the IR, sequence/optional inputs,
  // shape-determining inputs (Reshape's shape, ReduceSum's axes, ...) that
  // arrive as run-time data (the IR's shapes are static or symbolic), ops'
  // optional outputs that are not supported.
  ImportLimitation,
  Import,   // any other import error
  Run,      // the backend returned an error while running
  Mismatch, // an output differs from the expected one
  Crash,    // the test process died or timed out
  Lower,    // code generation could not lower a node to Halide
  Compile,  // Halide/LLVM failed to compile a kernel, or linking failed
};
constexpr int kNumFailKinds = 8;

struct BackendResult {
  Outcome outcome = Outcome::Fail;
  std::string detail; // failure reason, or the unsupported ops
  FailKind kind = FailKind::None;
  bool frozen = false; // ran with shape inputs frozen to constants
};

FailKind classifyImportError(const std::string &msg) {
  static const char *const kLimitations[] = {
      "must be a constant known at import time",
      "is older than the supported",
      "unsupported dtype",
      "is not a tensor",
      "is not supported",
  };
  // Inputs that only carry values (Clip's bounds, Dropout's ratio, Pad's
  // fill value) could be run-time data in a static-shape IR: an importer gap.
  static const char *const kValueInputs[] = {
      "(min) must", "(max) must", "(ratio) must", "(training_mode) must",
      "(constant_value) must"};
  for (const char *v : kValueInputs)
    if (msg.find(v) != std::string::npos)
      return FailKind::Import;
  for (const char *l : kLimitations)
    if (msg.find(l) != std::string::npos)
      return FailKind::ImportLimitation;
  return FailKind::Import;
}

struct TestResult {
  std::string name;
  std::vector<std::string> ops;        // op types in the model, sorted
  std::vector<BackendResult> backends; // one per entry of backends()
  double seconds = 0;
};

// A prepared backend runs one imported graph on named inputs and returns the
// outputs in graph output order.
using Runner = std::function<Expected<std::vector<Tensor>>(
    const std::map<std::string, Tensor> &)>;

// A backend prepares a graph once (the Halide backend compiles it there) and
// runs it on each data set. A failed prepare says which kind of failure it
// was through `kind`.
struct Backend {
  const char *name;
  std::function<Expected<Runner>(const Graph &, FailKind &kind)> prepare;
};

// Where the Halide backend keeps compiled kernels between runs.
std::string gKernelCache;
// "artifact" (writeArtifact + dlrt::Model) or "jit" (runKernelJit per group).
std::string gHalideMode = "artifact";

#ifdef DLC_HAVE_HALIDE
// writeArtifact's errors: a kernel that Halide/LLVM failed to compile reads
// "kernel k_<hash> (<node>): ...", a link failure "linking the kernels
// failed: ..."; everything else (a node without a lowering, a lowering that
// Halide rejects while the pipeline is built) is a lowering error.
FailKind classifyCodegenError(const std::string &msg) {
  if (msg.rfind("kernel k_", 0) == 0) {
    size_t sp = msg.find(' ', 9);
    if (sp != std::string::npos && msg.compare(sp, 2, " (") == 0)
      return FailKind::Compile;
  }
  if (msg.rfind("linking the kernels failed", 0) == 0 ||
      msg.rfind("halide runtime:", 0) == 0 ||
      msg.rfind("cannot run the linker", 0) == 0)
    return FailKind::Compile;
  return FailKind::Lower;
}

Expected<Runner> prepareArtifact(const Graph &g, FailKind &kind) {
  codegen::ArtifactOptions o;
  o.cacheDir = gKernelCache;
  o.jobs = 1; // the runner runs tests in parallel already
  fs::path dlm = fs::temp_directory_path() /
                 ("dlc-conformance-" + std::to_string(::getpid()) + ".dlm");
  if (Status s = codegen::writeArtifact(g, TrainSpec{}, o, dlm.string()); !s) {
    kind = classifyCodegenError(s.error().message());
    return s.error();
  }
  auto m = dlrt::Model::load(dlm.string());
  std::error_code ec;
  fs::remove(dlm, ec);
  if (!m) {
    kind = FailKind::Compile;
    return Error("load: " + m.error().message());
  }
  (*m)->setNumThreads(1);
  std::shared_ptr<dlrt::Model> model(std::move(*m));
  return Runner([model](const std::map<std::string, Tensor> &in)
                    -> Expected<std::vector<Tensor>> {
    return model->run("infer", in);
  });
}

// The in-process alternative: the infer graph's kernel groups, each compiled
// by Halide's JIT and run in order on a map of values.
Expected<Runner> prepareJit(const Graph &model, FailKind &kind) {
  std::shared_ptr<Graph> g(model.clone());
  kind = FailKind::Lower;
  DLC_CHECK(buildInferStep(*g));
  DLC_TRY(pipeline, parsePipeline("simplify,cse,dce"));
  DLC_CHECK(runPipeline(*g, pipeline, {}));
  auto groups = std::make_shared<std::vector<codegen::KernelGroup>>(
      codegen::groupNodes(*g));
  Halide::Target target = codegen::hostTarget();
  // Lowering errors show before anything runs, as in writeArtifact.
  for (size_t i = 0; i < groups->size(); ++i)
    DLC_CHECK(codegen::buildKernel((*groups)[i], target,
                                   "k" + std::to_string(i)));
  return Runner([g, groups, target](const std::map<std::string, Tensor> &in)
                    -> Expected<std::vector<Tensor>> {
    std::map<const Value *, Tensor> env;
    for (const Value *v : g->inputs()) {
      auto it = in.find(v->name);
      if (it == in.end())
        return Error("input '" + v->name + "' is not bound");
      env[v] = it->second;
    }
    auto valueOf = [&](const Value *v) -> Expected<Tensor> {
      auto it = env.find(v);
      if (it != env.end())
        return it->second;
      if (v->kind == ValueKind::Result)
        return Error("value '" + v->name + "' is used before it is computed");
      DLC_TRY(t, materializeParam(*v));
      return env[v] = t;
    };
    for (const codegen::KernelGroup &kg : *groups) {
      std::vector<Tensor> ins;
      for (const Value *v : kg.inputs) {
        DLC_TRY(t, valueOf(v));
        ins.push_back(t);
      }
      DLC_TRY(outs, codegen::runKernelJit(kg, ins, target));
      for (size_t i = 0; i < kg.outputs.size(); ++i)
        env[kg.outputs[i]] = outs[i];
    }
    std::vector<Tensor> outs;
    for (const auto &[name, v] : g->outputs()) {
      DLC_TRY(t, valueOf(v));
      outs.push_back(t);
    }
    return outs;
  });
}
#endif

const std::vector<Backend> &allBackends() {
  static const std::vector<Backend> list = {
      {"reference",
       [](const Graph &g, FailKind &) -> Expected<Runner> {
         return Runner([&g](const std::map<std::string, Tensor> &in)
                           -> Expected<std::vector<Tensor>> {
           auto r = interpret(g, in);
           if (!r)
             return r.takeError();
           return std::move(r->outputs);
         });
       }},
#ifdef DLC_HAVE_HALIDE
      {"halide",
       [](const Graph &g, FailKind &kind) -> Expected<Runner> {
         return gHalideMode == "jit" ? prepareJit(g, kind)
                                     : prepareArtifact(g, kind);
       }},
#endif
  };
  return list;
}

// The backends this run uses (--backends), in allBackends() order.
std::vector<Backend> gBackends;
const std::vector<Backend> &backends() { return gBackends; }

//===----------------------------------------------------------------------===//
// Comparing tensors
//===----------------------------------------------------------------------===//

std::string indexString(const std::vector<int64_t> &shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    int64_t ext = shape[d] > 0 ? shape[d] : 1;
    idx[d] = flat % ext;
    flat /= ext;
  }
  std::string s = "[";
  for (size_t d = 0; d < idx.size(); ++d)
    s += (d ? ", " : "") + std::to_string(idx[d]);
  return s + "]";
}

std::string numberString(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

// The first difference between `want` and `got`, or nullopt when they match.
std::optional<std::string> compareTensors(const Tensor &want,
                                          const Tensor &got) {
  if (want.dtype() != got.dtype())
    return "dtype " + std::string(dlrt::dtypeName(want.dtype())) +
           " expected, got " + std::string(dlrt::dtypeName(got.dtype()));
  if (want.shape() != got.shape())
    return "shape " + dlrt::shapeString(want.shape()) + " expected, got " +
           dlrt::shapeString(got.shape());
  int64_t n = want.numel(), bad = 0, first = -1;
  bool isF = dlrt::isFloat(want.dtype());
  for (int64_t i = 0; i < n; ++i) {
    bool ok;
    if (isF) {
      double b = want.getDouble(i), a = got.getDouble(i);
      if (std::isnan(b) || std::isnan(a))
        ok = std::isnan(a) && std::isnan(b);
      else if (std::isinf(b) || std::isinf(a))
        ok = a == b;
      else
        ok = std::fabs(a - b) <= kAtol + kRtol * std::fabs(b);
    } else {
      ok = want.getInt(i) == got.getInt(i);
    }
    if (!ok) {
      if (first < 0)
        first = i;
      ++bad;
    }
  }
  if (bad == 0)
    return std::nullopt;
  std::string s = "at " + indexString(want.shape(), first) + " expected ";
  if (isF)
    s += numberString(want.getDouble(first)) + ", got " +
         numberString(got.getDouble(first));
  else
    s += std::to_string(want.getInt(first)) + ", got " +
         std::to_string(got.getInt(first));
  return s + " (" + std::to_string(bad) + " of " + std::to_string(n) +
         " elements differ)";
}

//===----------------------------------------------------------------------===//
// One test
//===----------------------------------------------------------------------===//

std::optional<std::string> readFile(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// What the test's model says independently of our importer: its op types and
// its graph inputs that are not initializers (the ones input_i.pb feeds).
struct ModelFacts {
  std::vector<std::string> ops;
  std::vector<std::string> feedInputs;
};

ModelFacts readModelFacts(const fs::path &modelPath) {
  ModelFacts f;
  auto bytes = readFile(modelPath);
  onnx::ModelProto m;
  if (!bytes || !m.ParseFromString(*bytes)) {
    f.ops.push_back("?");
    return f;
  }
  std::set<std::string> ops, inits;
  for (const auto &n : m.graph().node())
    ops.insert(n.domain().empty() || n.domain() == "ai.onnx"
                   ? n.op_type()
                   : n.domain() + "." + n.op_type());
  for (const auto &t : m.graph().initializer())
    inits.insert(t.name());
  for (const auto &t : m.graph().sparse_initializer())
    inits.insert(t.values().name());
  for (const auto &in : m.graph().input())
    if (!inits.count(in.name()))
      f.feedInputs.push_back(in.name());
  f.ops.assign(ops.begin(), ops.end());
  return f;
}

std::vector<fs::path> numberedFiles(const fs::path &dir,
                                    const std::string &prefix) {
  std::vector<fs::path> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p))
      break;
    files.push_back(p);
  }
  return files;
}

std::string oneLine(std::string s) {
  for (char &c : s)
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
  return s;
}

struct SetFailure {
  FailKind kind;
  std::string message;
};

// Runs one test data set on one prepared backend; nullopt on a pass.
std::optional<SetFailure>
runDataSet(const Runner &run, const Graph &g, const ModelFacts &facts,
           const std::set<std::string> &frozen, const fs::path &setDir) {
  std::string set = setDir.filename().string();
  std::map<std::string, Tensor> inputs;
  auto inFiles = numberedFiles(setDir, "input_");
  size_t fed = 0; // index among the inputs that are not frozen
  for (size_t i = 0; i < inFiles.size(); ++i) {
    if (i < facts.feedInputs.size() && frozen.count(facts.feedInputs[i]))
      continue;
    size_t k = fed++;
    auto t = readTensorProtoFile(inFiles[i].string());
    if (!t)
      return SetFailure{FailKind::Run, set + ": reading input_" +
                                           std::to_string(i) +
                                           ".pb: " + t.error().message()};
    // Bind by the model's i-th fed input name; fall back to the imported
    // graph's i-th input when the importer renamed it.
    std::string name;
    if (i < facts.feedInputs.size()) {
      Value *v = g.lookup(facts.feedInputs[i]);
      if (v && v->kind == ValueKind::Input)
        name = v->name;
    }
    if (name.empty() && k < g.inputs().size())
      name = g.inputs()[k]->name;
    if (name.empty())
      return SetFailure{FailKind::Run,
                        set + ": input_" + std::to_string(i) +
                            ".pb has no matching graph input (graph has " +
                            std::to_string(g.inputs().size()) + ")"};
    inputs[name] = std::move(*t);
  }
  auto outs = run(inputs);
  if (!outs)
    return SetFailure{FailKind::Run, set + ": " + outs.error().message()};
  auto outFiles = numberedFiles(setDir, "output_");
  if (outs->size() != outFiles.size())
    return SetFailure{FailKind::Mismatch,
                      set + ": " + std::to_string(outFiles.size()) +
                          " outputs expected, got " +
                          std::to_string(outs->size())};
  for (size_t i = 0; i < outFiles.size(); ++i) {
    auto want = readTensorProtoFile(outFiles[i].string());
    if (!want)
      return SetFailure{FailKind::Run, set + ": reading output_" +
                                           std::to_string(i) + ".pb: " +
                                           want.error().message()};
    std::string outName = i < g.outputs().size() ? g.outputs()[i].first : "";
    if (auto diff = compareTensors(*want, (*outs)[i]))
      return SetFailure{FailKind::Mismatch, set + ": output " +
                                                std::to_string(i) + " '" +
                                                outName + "': " + *diff};
  }
  return std::nullopt;
}

// Whether shape-determining inputs that the importer needs as constants are
// frozen to the data set's values (--no-freeze turns it off).
bool gFreezeShapeInputs = true;

// The model with the named graph inputs turned into initializers holding the
// data set's values (input_k.pb for the k-th fed input): how a static-shape
// compiler specializes a model whose Reshape target or Slice bounds arrive as
// inputs. Returns nullopt when a name is not a fed input or its file is bad.
std::optional<std::string> freezeInputs(const std::string &modelBytes,
                                        const ModelFacts &facts,
                                        const std::set<std::string> &names,
                                        const fs::path &setDir) {
  onnx::ModelProto m;
  if (!m.ParseFromString(modelBytes))
    return std::nullopt;
  auto *graph = m.mutable_graph();
  for (const std::string &name : names) {
    auto it = std::find(facts.feedInputs.begin(), facts.feedInputs.end(), name);
    if (it == facts.feedInputs.end())
      return std::nullopt;
    size_t k = it - facts.feedInputs.begin();
    auto bytes =
        readFile(setDir / ("input_" + std::to_string(k) + ".pb"));
    onnx::TensorProto t;
    if (!bytes || !t.ParseFromString(*bytes))
      return std::nullopt;
    t.set_name(name);
    *graph->add_initializer() = std::move(t);
    auto *ins = graph->mutable_input();
    for (int i = 0; i < ins->size(); ++i)
      if (ins->Get(i).name() == name) {
        ins->DeleteSubrange(i, 1);
        break;
      }
  }
  std::string out;
  if (!m.SerializeToString(&out))
    return std::nullopt;
  return out;
}

// The name in "input 'NAME' (role) must be a constant known at import time".
std::string constantInputName(const std::string &msg) {
  size_t at = msg.find("must be a constant known at import time");
  if (at == std::string::npos)
    return "";
  size_t open = msg.rfind("input '", at);
  if (open == std::string::npos)
    return "";
  open += 7;
  size_t close = msg.find("' (", open);
  if (close == std::string::npos || close > at)
    return "";
  return msg.substr(open, close - open);
}

// Imports the model specialized to `setDir`: while the importer asks for a
// shape-determining input as a constant, freeze it (or, when it names an
// intermediate value, every integer fed input) and import again.
Expected<std::unique_ptr<Graph>>
importFrozen(const fs::path &dir, const ModelFacts &facts,
             const fs::path &setDir, std::set<std::string> &frozen) {
  auto model = readFile(dir / "model.onnx");
  if (!model)
    return Error("cannot read model.onnx");
  onnx::ModelProto m;
  std::set<std::string> integerInputs;
  if (m.ParseFromString(*model))
    for (const auto &in : m.graph().input()) {
      int et = in.type().tensor_type().elem_type();
      if (et == onnx::TensorProto::INT64 || et == onnx::TensorProto::INT32)
        integerInputs.insert(in.name());
    }
  std::string modelPath = (dir / "model.onnx").string();
  for (int attempt = 0;; ++attempt) {
    std::string bytes = *model;
    if (!frozen.empty()) {
      auto b = freezeInputs(*model, facts, frozen, setDir);
      if (!b)
        return Error("cannot freeze inputs into the model");
      bytes = std::move(*b);
    }
    auto g = importOnnxBytes(bytes, modelPath, dir.string());
    if (g || attempt >= 8)
      return g;
    const std::string &msg = g.error().message();
    if (classifyImportError(msg) != FailKind::ImportLimitation)
      return g;
    std::string name = constantInputName(msg);
    if (name.empty())
      return g;
    size_t before = frozen.size();
    if (std::count(facts.feedInputs.begin(), facts.feedInputs.end(), name))
      frozen.insert(name);
    else
      for (const auto &n : facts.feedInputs)
        if (integerInputs.count(n))
          frozen.insert(n);
    if (frozen.size() == before)
      return g;
  }
}

TestResult runTestUnguarded(const fs::path &dir) {
  TestResult r;
  r.name = dir.filename().string();
  ModelFacts facts = readModelFacts(dir / "model.onnx");
  r.ops = facts.ops;
  r.backends.resize(backends().size());

  std::vector<fs::path> sets;
  for (const auto &e : fs::directory_iterator(dir))
    if (e.is_directory() &&
        e.path().filename().string().rfind("test_data_set_", 0) == 0)
      sets.push_back(e.path());
  std::sort(sets.begin(), sets.end());

  auto g = importOnnxFile((dir / "model.onnx").string());
  bool freeze = !g && gFreezeShapeInputs && !sets.empty() &&
                !constantInputName(g.error().message()).empty() &&
                classifyImportError(g.error().message()) ==
                    FailKind::ImportLimitation;
  if (freeze) {
    // Specialize the model to each data set in turn.
    std::set<std::string> allFrozen;
    for (size_t b = 0; b < backends().size(); ++b) {
      BackendResult &br = r.backends[b];
      br.outcome = Outcome::Pass;
      for (const auto &s : sets) {
        std::set<std::string> frozen;
        auto fg = importFrozen(dir, facts, s, frozen);
        allFrozen.insert(frozen.begin(), frozen.end());
        if (!fg) {
          br.outcome = Outcome::Fail;
          br.detail = "import: " + fg.error().message();
          br.kind = classifyImportError(fg.error().message());
          break;
        }
        FailKind kind = FailKind::Run;
        auto run = backends()[b].prepare(**fg, kind);
        if (!run) {
          br.outcome = Outcome::Fail;
          br.detail = run.error().message();
          br.kind = kind;
          break;
        }
        if (auto err = runDataSet(*run, **fg, facts, frozen, s)) {
          br.outcome = Outcome::Fail;
          br.detail = err->message;
          br.kind = err->kind;
          break;
        }
      }
      std::string names;
      for (const auto &n : allFrozen)
        names += (names.empty() ? "" : ", ") + n;
      std::string note = "inputs frozen to the data set's values: " + names;
      br.detail = br.outcome == Outcome::Pass ? note
                                              : br.detail + "; " + note;
      br.frozen = true;
    }
    return r;
  }
  if (!g) {
    const std::string &msg = g.error().message();
    static const std::string kMarker = "unsupported ops: ";
    size_t at = msg.find(kMarker);
    BackendResult br;
    if (at != std::string::npos) {
      br.outcome = Outcome::Unsupported;
      br.detail = msg.substr(at + kMarker.size());
    } else {
      br.outcome = Outcome::Fail;
      br.detail = "import: " + msg;
      br.kind = classifyImportError(msg);
    }
    std::fill(r.backends.begin(), r.backends.end(), br);
    return r;
  }

  for (size_t b = 0; b < backends().size(); ++b) {
    BackendResult &br = r.backends[b];
    if (sets.empty()) {
      br.detail = "no test_data_set_* directories";
      br.kind = FailKind::Run;
      continue;
    }
    FailKind kind = FailKind::Run;
    auto run = backends()[b].prepare(**g, kind);
    if (!run) {
      br.detail = run.error().message();
      br.kind = kind;
      continue;
    }
    br.outcome = Outcome::Pass;
    for (const auto &s : sets) {
      if (auto err = runDataSet(*run, **g, facts, {}, s)) {
        br.outcome = Outcome::Fail;
        br.detail = err->message;
        br.kind = err->kind;
        break;
      }
    }
  }
  return r;
}

TestResult runTest(const fs::path &dir) {
  auto start = std::chrono::steady_clock::now();
  TestResult r;
  try {
    r = runTestUnguarded(dir);
  } catch (const std::exception &e) {
    r.name = dir.filename().string();
    r.backends.assign(backends().size(),
                      {Outcome::Fail, std::string("exception: ") + e.what(),
                       FailKind::Crash});
  } catch (...) {
    r.name = dir.filename().string();
    r.backends.assign(backends().size(),
                      {Outcome::Fail, "exception of unknown type",
                       FailKind::Crash});
  }
  // Messages name the model by its full path; the test name says it already.
  std::string prefix = dir.string() + "/";
  for (auto &b : r.backends) {
    for (size_t at; (at = b.detail.find(prefix)) != std::string::npos;)
      b.detail.erase(at, prefix.size());
    b.detail = oneLine(b.detail);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            start)
                  .count();
  return r;
}

//===----------------------------------------------------------------------===//
// Child processes: a result travels back through a pipe as length-prefixed
// fields.
//===----------------------------------------------------------------------===//

void putField(std::string &out, const std::string &s) {
  out += std::to_string(s.size()) + ":" + s;
}

bool getField(const std::string &in, size_t &pos, std::string &s) {
  size_t colon = in.find(':', pos);
  if (colon == std::string::npos)
    return false;
  size_t len = std::strtoull(in.c_str() + pos, nullptr, 10);
  if (colon + 1 + len > in.size())
    return false;
  s = in.substr(colon + 1, len);
  pos = colon + 1 + len;
  return true;
}

std::string serialize(const TestResult &r) {
  std::string out;
  std::string ops;
  for (const auto &o : r.ops)
    ops += (ops.empty() ? "" : " ") + o;
  putField(out, ops);
  putField(out, std::to_string(r.backends.size()));
  for (const auto &b : r.backends) {
    putField(out, std::to_string(static_cast<int>(b.outcome)));
    putField(out, std::to_string(static_cast<int>(b.kind) * 2 + b.frozen));
    putField(out, b.detail);
  }
  return out;
}

bool deserialize(const std::string &in, TestResult &r) {
  size_t pos = 0;
  std::string ops, count;
  if (!getField(in, pos, ops) || !getField(in, pos, count))
    return false;
  std::istringstream os(ops);
  r.ops.clear();
  for (std::string o; os >> o;)
    r.ops.push_back(o);
  r.backends.resize(std::strtoul(count.c_str(), nullptr, 10));
  for (auto &b : r.backends) {
    std::string outcome, kind;
    if (!getField(in, pos, outcome) || !getField(in, pos, kind) ||
        !getField(in, pos, b.detail))
      return false;
    b.outcome = static_cast<Outcome>(std::atoi(outcome.c_str()));
    int k = std::atoi(kind.c_str());
    b.kind = static_cast<FailKind>(k / 2);
    b.frozen = k % 2;
  }
  return true;
}

void writeAll(int fd, const std::string &s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return;
    done += n;
  }
}

struct Child {
  size_t index;
  pid_t pid;
  int resultFd, errFd;
  std::string result, err;
  std::chrono::steady_clock::time_point start;
  bool killed = false;
};

std::string lastLines(const std::string &s, size_t maxChars) {
  std::string t = s;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
    t.pop_back();
  if (t.size() > maxChars)
    t = "..." + t.substr(t.size() - maxChars);
  return oneLine(t);
}

struct RunOptions {
  int jobs = 1;
  double timeoutSeconds = 120;
  size_t memLimitMb = 8192;
  bool fork = true;
  bool verbose = false;
};

// Starts `dir`'s test in a child; the child never returns.
Child startChild(size_t index, const fs::path &dir, const RunOptions &opts) {
  int resPipe[2], errPipe[2];
  if (::pipe(resPipe) != 0 || ::pipe(errPipe) != 0) {
    std::perror("dlc-conformance: pipe");
    std::exit(2);
  }
  std::cout.flush();
  std::cerr.flush();
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("dlc-conformance: fork");
    std::exit(2);
  }
  if (pid == 0) {
    ::close(resPipe[0]);
    ::close(errPipe[0]);
    ::dup2(errPipe[1], 1);
    ::dup2(errPipe[1], 2);
    if (opts.memLimitMb) {
      rlimit lim;
      lim.rlim_cur = lim.rlim_max = opts.memLimitMb << 20;
      ::setrlimit(RLIMIT_AS, &lim);
    }
    TestResult r = runTest(dir);
    writeAll(resPipe[1], serialize(r));
    ::close(resPipe[1]);
    std::fflush(nullptr);
    ::_exit(0);
  }
  ::close(resPipe[1]);
  ::close(errPipe[1]);
  Child c;
  c.index = index;
  c.pid = pid;
  c.resultFd = resPipe[0];
  c.errFd = errPipe[0];
  c.start = std::chrono::steady_clock::now();
  return c;
}

TestResult finishChild(Child &c, const fs::path &dir, int status) {
  TestResult r;
  double secs = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - c.start)
                    .count();
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (clean && deserialize(c.result, r)) {
    r.name = dir.filename().string();
    r.seconds = secs;
    return r;
  }
  // The child died: keep the op list from the model and blame the test.
  r.name = dir.filename().string();
  r.ops = readModelFacts(dir / "model.onnx").ops;
  std::string why;
  if (c.killed)
    why = "timeout after " + numberString(secs) + " s";
  else if (WIFSIGNALED(status))
    why = std::string("crash: signal ") + std::to_string(WTERMSIG(status)) +
          " (" + strsignal(WTERMSIG(status)) + ")";
  else
    why = "child exited with status " + std::to_string(WEXITSTATUS(status));
  std::string tail = lastLines(c.err, 200);
  if (!tail.empty())
    why += ": " + tail;
  r.backends.assign(backends().size(), {Outcome::Fail, why, FailKind::Crash});
  r.seconds = secs;
  return r;
}

std::vector<TestResult> runAll(const std::vector<fs::path> &dirs,
                               const RunOptions &opts,
                               const std::function<void(const TestResult &)>
                                   &report) {
  std::vector<TestResult> results(dirs.size());
  if (!opts.fork) {
    for (size_t i = 0; i < dirs.size(); ++i) {
      results[i] = runTest(dirs[i]);
      report(results[i]);
    }
    return results;
  }
  std::vector<Child> running;
  size_t next = 0;
  while (next < dirs.size() || !running.empty()) {
    while (next < dirs.size() && running.size() < size_t(opts.jobs)) {
      running.push_back(startChild(next, dirs[next], opts));
      ++next;
    }
    std::vector<pollfd> fds;
    for (const auto &c : running) {
      if (c.resultFd >= 0)
        fds.push_back({c.resultFd, POLLIN, 0});
      if (c.errFd >= 0)
        fds.push_back({c.errFd, POLLIN, 0});
    }
    if (!fds.empty())
      ::poll(fds.data(), fds.size(), 100);
    else
      ::usleep(10000);
    char buf[65536];
    for (auto &c : running) {
      for (int *fd : {&c.resultFd, &c.errFd}) {
        if (*fd < 0)
          continue;
        pollfd p{*fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0)
          continue;
        ssize_t n = ::read(*fd, buf, sizeof buf);
        if (n > 0) {
          std::string &dst = fd == &c.resultFd ? c.result : c.err;
          dst.append(buf, n);
          if (dst.size() > (4u << 20) && fd == &c.errFd)
            dst.erase(0, dst.size() - (1u << 20)); // keep the tail
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          ::close(*fd);
          *fd = -1;
        }
      }
    }
    auto now = std::chrono::steady_clock::now();
    for (size_t k = 0; k < running.size();) {
      Child &c = running[k];
      double secs = std::chrono::duration<double>(now - c.start).count();
      if (!c.killed && opts.timeoutSeconds > 0 && secs > opts.timeoutSeconds) {
        ::kill(c.pid, SIGKILL);
        c.killed = true;
      }
      int status = 0;
      pid_t w = 0;
      if (c.resultFd < 0 && c.errFd < 0)
        w = ::waitpid(c.pid, &status, 0);
      else if (c.killed)
        w = ::waitpid(c.pid, &status, WNOHANG);
      if (w == c.pid) {
        for (int fd : {c.resultFd, c.errFd})
          if (fd >= 0)
            ::close(fd);
        results[c.index] = finishChild(c, dirs[c.index], status);
        report(results[c.index]);
        running.erase(running.begin() + k);
      } else {
        ++k;
      }
    }
  }
  return results;
}

//===----------------------------------------------------------------------===//
// Reports
//===----------------------------------------------------------------------===//

std::string cellEscape(std::string s, size_t maxChars = 240) {
  if (s.size() > maxChars)
    s = s.substr(0, maxChars) + "...";
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

std::string cellFor(const BackendResult &b) {
  switch (b.outcome) {
  case Outcome::Pass:
    return b.frozen ? "pass (" + cellEscape(b.detail) + ")" : "pass";
  case Outcome::Unsupported:
    return "unsupported: " + cellEscape(b.detail);
  case Outcome::Fail:
    return "**fail** (" + cellEscape(b.detail) + ")";
  }
  return "";
}

struct Totals {
  size_t total = 0, supported = 0, passed = 0, failed = 0, passedFrozen = 0;
  size_t byKind[kNumFailKinds] = {};
  double rate() const { return supported ? 100.0 * passed / supported : 0; }
  // The pass rate when the importer's by-design limitations count as
  // unsupported, like unsupported ops.
  double rateWithoutLimitations() const {
    size_t n = supported - byKind[int(FailKind::ImportLimitation)];
    return n ? 100.0 * passed / n : 0;
  }
};

Totals totalsFor(const std::vector<TestResult> &results, size_t b) {
  Totals t;
  for (const auto &r : results) {
    ++t.total;
    Outcome o = r.backends[b].outcome;
    if (o == Outcome::Unsupported)
      continue;
    ++t.supported;
    (o == Outcome::Pass ? t.passed : t.failed)++;
    if (o == Outcome::Fail)
      ++t.byKind[int(r.backends[b].kind)];
    if (o == Outcome::Pass && r.backends[b].frozen)
      ++t.passedFrozen;
  }
  return t;
}

std::string rateString(double pct) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", pct);
  return buf;
}

void writeResults(const fs::path &path, const std::vector<TestResult> &results,
                  const std::string &dataDir, const std::string &filter) {
  std::ostringstream md;
  md << "# ONNX backend node tests\n\n"
     << "Generated by `dlc-conformance` (tests/conformance/); do not edit.\n"
     << "Data: `" << dataDir << "`"
     << (filter.empty() ? "" : " (filter `" + filter + "`)") << ". "
     << "Tolerances: |got - want| <= " << kAtol << " + " << kRtol
     << " * |want|, NaN == NaN; integers and bools exact. A test is "
     << "*supported* when the importer accepts all its ops.\n\n"
     << "dlc's IR has static (or symbolic) shapes, so an input that decides "
     << "a shape (Reshape's shape, Slice's starts, Unsqueeze's axes, ...) must "
     << "be a constant at import time. Where a test feeds one as a graph "
     << "input, the runner freezes it to the data set's value and imports the "
     << "specialized model, as a static-shape compiler would; those passes "
     << "are marked. Inputs that only carry values (Clip's bounds, Dropout's "
     << "ratio) are never frozen.\n\n";

  md << "| |";
  for (const auto &b : backends())
    md << " " << b.name << " |";
  md << "\n|---|";
  for (size_t b = 0; b < backends().size(); ++b)
    md << "---:|";
  md << "\n";
  std::vector<Totals> totals;
  for (size_t b = 0; b < backends().size(); ++b)
    totals.push_back(totalsFor(results, b));
  auto row = [&](const char *label, auto get) {
    md << "| " << label << " |";
    for (const auto &t : totals)
      md << " " << get(t) << " |";
    md << "\n";
  };
  row("total tests", [](const Totals &t) { return std::to_string(t.total); });
  row("ops all supported",
      [](const Totals &t) { return std::to_string(t.supported); });
  row("passed", [](const Totals &t) { return std::to_string(t.passed); });
  row("&nbsp;&nbsp;passed with shape inputs frozen to the data set's values",
      [](const Totals &t) { return std::to_string(t.passedFrozen); });
  row("failed", [](const Totals &t) { return std::to_string(t.failed); });
  auto kindRow = [&](const char *label, FailKind k) {
    row(label, [k](const Totals &t) {
      return std::to_string(t.byKind[int(k)]);
    });
  };
  kindRow("&nbsp;&nbsp;failed: import limitation by design (opset &lt; 7, "
          "dtype outside the IR, run-time shape input, ...)",
          FailKind::ImportLimitation);
  kindRow("&nbsp;&nbsp;failed: other import error", FailKind::Import);
  bool codegen = false;
  for (const auto &b : backends())
    codegen |= std::string(b.name) != "reference";
  if (codegen) {
    kindRow("&nbsp;&nbsp;failed: lowering error (a node has no Halide "
            "lowering, or Halide rejects it)",
            FailKind::Lower);
    kindRow("&nbsp;&nbsp;failed: kernel compile or link error",
            FailKind::Compile);
  }
  kindRow("&nbsp;&nbsp;failed: run error", FailKind::Run);
  kindRow("&nbsp;&nbsp;failed: wrong output", FailKind::Mismatch);
  kindRow("&nbsp;&nbsp;failed: crash or timeout", FailKind::Crash);
  row("**pass rate** (of supported)",
      [](const Totals &t) { return "**" + rateString(t.rate()) + "**"; });
  row("pass rate (of supported, import limitations excluded)",
      [](const Totals &t) { return rateString(t.rateWithoutLimitations()); });

  // Unsupported ops by how many tests they block (first backend).
  std::map<std::string, int> blocking;
  for (const auto &r : results)
    if (r.backends[0].outcome == Outcome::Unsupported) {
      std::string list = r.backends[0].detail;
      for (char &c : list)
        if (c == ',' || c == ';')
          c = ' ';
      std::istringstream is(list);
      std::set<std::string> seen;
      for (std::string w; is >> w;) {
        // Keep op names; drop node-name decorations like "(node 'x')".
        std::string op;
        for (char c : w)
          if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
              c == '.')
            op += c;
          else
            break;
        if (!op.empty() && std::isupper(static_cast<unsigned char>(op[0])))
          seen.insert(op);
      }
      for (const auto &o : seen)
        ++blocking[o];
    }
  if (!blocking.empty()) {
    std::vector<std::pair<int, std::string>> v;
    for (const auto &[op, n] : blocking)
      v.push_back({-n, op});
    std::sort(v.begin(), v.end());
    md << "\nUnsupported ops (tests blocked): ";
    for (size_t i = 0; i < v.size(); ++i)
      md << (i ? ", " : "") << v[i].second << " (" << -v[i].first << ")";
    md << "\n";
  }

  std::vector<std::string> slow;
  for (const auto &r : results)
    if (r.seconds > kSlowSeconds)
      slow.push_back(r.name);
  if (!slow.empty()) {
    md << "\nSlow (over " << kSlowSeconds << " s): ";
    for (size_t i = 0; i < slow.size(); ++i)
      md << (i ? ", " : "") << slow[i];
    md << "\n";
  }

  md << "\n| test | ops |";
  for (const auto &b : backends())
    md << " " << b.name << " |";
  md << "\n|---|---|";
  for (size_t b = 0; b < backends().size(); ++b)
    md << "---|";
  md << "\n";
  for (const auto &r : results) {
    std::string ops;
    for (const auto &o : r.ops)
      ops += (ops.empty() ? "" : ", ") + o;
    md << "| " << r.name << " | " << cellEscape(ops) << " |";
    for (const auto &b : r.backends)
      md << " " << cellFor(b) << " |";
    md << "\n";
  }
  std::ofstream out(path);
  out << md.str();
  if (!out)
    std::cerr << "dlc-conformance: error: cannot write " << path.string()
              << "\n";
}

std::vector<std::string> readBaseline(const fs::path &path) {
  std::vector<std::string> names;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.pop_back();
    if (!line.empty() && line[0] != '#')
      names.push_back(line);
  }
  return names;
}

// Checks (or with `update`, rewrites) backend b's baseline; the exit status.
int checkBaseline(const std::vector<TestResult> &results, size_t b,
                  const std::string &baselinePath, const std::string &filter,
                  bool update) {
  std::string be = backends()[b].name;
  std::set<std::string> passes;
  for (const auto &r : results)
    if (r.backends[b].outcome == Outcome::Pass)
      passes.insert(r.name);
  std::vector<std::string> baseline = readBaseline(baselinePath);
  if (update) {
    // Entries outside this run's filter stay as they were.
    std::set<std::string> next(passes);
    for (const auto &n : baseline)
      if (n.find(filter) == std::string::npos)
        next.insert(n);
    std::ofstream out(baselinePath);
    for (const auto &n : next)
      out << n << "\n";
    if (!out) {
      std::cerr << "dlc-conformance: error: cannot write " << baselinePath
                << "\n";
      return 2;
    }
    std::cout << "wrote " << baselinePath << " (" << be << ": " << next.size()
              << " tests)\n";
    return 0;
  }
  std::vector<std::string> regressions;
  std::set<std::string> baselineSet;
  for (const auto &n : baseline) {
    if (n.find(filter) == std::string::npos)
      continue;
    baselineSet.insert(n);
    if (!passes.count(n))
      regressions.push_back(n);
  }
  size_t newPasses = 0;
  for (const auto &n : passes)
    newPasses += !baselineSet.count(n);
  if (newPasses)
    std::cout << be << ": " << newPasses << " tests pass that are not in "
              << baselinePath << " (--update-baseline adds them)\n";
  if (regressions.empty())
    return 0;
  std::cout << "error: " << be << ": " << regressions.size()
            << " tests in the baseline no longer pass:\n";
  std::map<std::string, const TestResult *> byName;
  for (const auto &r : results)
    byName[r.name] = &r;
  for (const auto &n : regressions) {
    auto it = byName.find(n);
    std::cout << "  " << n << ": "
              << (it == byName.end()
                      ? std::string("missing from the data directory")
                      : lastLines(it->second->backends[b].detail, 300))
              << "\n";
  }
  return 1;
}

int runMain(int argc, char **argv) {
  CLI::App app{"Runs the ONNX backend node tests through dlc's importer and "
               "backends, writes a pass table and checks a baseline."};
  std::string dataDir = "/usr/share/libonnx-testdata/data/node";
  std::string filter, resultsPath, baselinePath, halideBaselinePath;
  std::string backendList;
  for (const auto &b : allBackends())
    backendList += (backendList.empty() ? "" : ",") + std::string(b.name);
  gKernelCache = DLC_CONFORMANCE_KERNEL_CACHE;
  bool updateBaseline = false;
  RunOptions opts;
  opts.jobs = std::max(1u, std::thread::hardware_concurrency());
  bool noFork = false;
  app.add_option("--data-dir", dataDir,
                 "Folder of test folders (model.onnx + test_data_set_*)");
  app.add_option("--filter", filter, "Only tests whose name contains this");
  app.add_option("--results", resultsPath,
                 "Markdown table to write (default: tests/conformance/"
                 "results.md in the source tree, unless --filter is given)");
  app.add_option("--baseline", baselinePath,
                 "Expected passes, one test name a line (default: tests/"
                 "conformance/expected-pass.txt in the source tree)");
  app.add_option("--halide-baseline", halideBaselinePath,
                 "Expected passes of the halide backend (default: tests/"
                 "conformance/expected-pass-halide.txt in the source tree)");
  app.add_flag("--update-baseline", updateBaseline,
               "Rewrite the baselines of the backends run from the current "
               "passes");
  app.add_option("--backends", backendList,
                 "Comma-separated backends to run (reference, halide)")
      ->capture_default_str();
  app.add_option("--kernel-cache", gKernelCache,
                 "The halide backend's kernel cache directory")
      ->capture_default_str();
  app.add_option("--halide-mode", gHalideMode,
                 "artifact: writeArtifact + dlrt::Model (the real path, "
                 "kernels cached on disk); jit: each kernel group compiled "
                 "in process by Halide's JIT")
      ->capture_default_str()
      ->check(CLI::IsMember({"artifact", "jit"}));
  app.add_option("-j,--jobs", opts.jobs, "Tests run at once")
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout-per-test", opts.timeoutSeconds,
                 "Seconds before a test is killed and failed (0: never)");
  app.add_option("--mem-limit-mb", opts.memLimitMb,
                 "Address-space limit of each test process (0: none)");
  app.add_flag("--no-fork", noFork,
               "Run tests in this process (for debuggers; a crash ends the "
               "run)");
  app.add_flag("-v,--verbose", opts.verbose, "Print every test's result");
  bool noFreeze = false;
  app.add_flag("--no-freeze", noFreeze,
               "Fail tests whose shape-determining inputs (Reshape's shape, "
               "Slice's starts, ...) are graph inputs instead of freezing "
               "them to the data set's values");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  opts.fork = !noFork;
  gFreezeShapeInputs = !noFreeze;
  {
    std::set<std::string> want;
    std::stringstream ss(backendList);
    for (std::string b; std::getline(ss, b, ',');)
      if (!b.empty())
        want.insert(b);
    for (const auto &b : allBackends())
      if (want.erase(b.name))
        gBackends.push_back(b);
    if (!want.empty() || gBackends.empty()) {
      std::cerr << "dlc-conformance: error: --backends " << backendList
                << ": known backends are";
      for (const auto &b : allBackends())
        std::cerr << " " << b.name;
      std::cerr << "\n";
      return 2;
    }
  }
  if (!fs::is_directory(dataDir)) {
    std::cout << "dlc-conformance: skipped: no test data at " << dataDir
              << " (install Debian's libonnx-testdata)\n";
    return 77;
  }
  fs::path srcDir = fs::path(DLC_SOURCE_DIR) / "tests" / "conformance";
  if (resultsPath.empty() && filter.empty())
    resultsPath = (srcDir / "results.md").string();
  if (baselinePath.empty())
    baselinePath = (srcDir / "expected-pass.txt").string();
  if (halideBaselinePath.empty())
    halideBaselinePath = (srcDir / "expected-pass-halide.txt").string();
  std::map<std::string, std::string> baselinePaths = {
      {"reference", baselinePath}, {"halide", halideBaselinePath}};

  std::vector<fs::path> dirs;
  for (const auto &e : fs::directory_iterator(dataDir)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && fs::exists(e.path() / "model.onnx") &&
        name.find(filter) != std::string::npos)
      dirs.push_back(e.path());
  }
  std::sort(dirs.begin(), dirs.end());

  auto start = std::chrono::steady_clock::now();
  size_t done = 0;
  auto report = [&](const TestResult &r) {
    ++done;
    bool failed = false;
    for (const auto &b : r.backends)
      failed |= b.outcome == Outcome::Fail;
    bool show = opts.verbose || failed || r.seconds > kSlowSeconds;
    if (!show)
      return;
    std::cout << "[" << done << "/" << dirs.size() << "] " << r.name << ":";
    for (size_t i = 0; i < r.backends.size(); ++i) {
      const BackendResult &b = r.backends[i];
      // Where every backend says the same (an import failure), say it once.
      if (i > 0 && b.outcome != Outcome::Pass &&
          b.outcome == r.backends[0].outcome &&
          b.detail == r.backends[0].detail)
        continue;
      std::cout << (i ? ";" : "")
                << (r.backends.size() > 1
                        ? " " + std::string(backends()[i].name) + ":"
                        : "")
                << " "
                << (b.outcome == Outcome::Pass
                        ? "pass"
                        : b.outcome == Outcome::Fail ? "FAIL" : "unsupported");
      if (!b.detail.empty())
        std::cout << " (" << lastLines(b.detail, 300) << ")";
    }
    if (r.seconds > kSlowSeconds)
      std::cout << " [slow: " << numberString(r.seconds) << " s]";
    std::cout << "\n" << std::flush;
  };
  std::vector<TestResult> results = runAll(dirs, opts, report);
  double secs = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - start)
                    .count();

  for (size_t b = 0; b < backends().size(); ++b) {
    Totals t = totalsFor(results, b);
    std::cout << backends()[b].name << ": " << t.total << " tests, "
              << t.supported << " with all ops supported, " << t.passed
              << " passed (" << t.passedFrozen
              << " with shape inputs frozen), " << t.failed
              << " failed, pass rate "
              << rateString(t.rate()) << " of supported\n"
              << "  failures: "
              << t.byKind[int(FailKind::ImportLimitation)]
              << " import limitations by design, "
              << t.byKind[int(FailKind::Import)] << " other import errors, "
              << (std::string(backends()[b].name) == "reference"
                      ? std::string()
                      : std::to_string(t.byKind[int(FailKind::Lower)]) +
                            " lowering errors, " +
                            std::to_string(t.byKind[int(FailKind::Compile)]) +
                            " compile errors, ")
              << t.byKind[int(FailKind::Run)] << " run errors, "
              << t.byKind[int(FailKind::Mismatch)] << " wrong outputs, "
              << t.byKind[int(FailKind::Crash)]
              << " crashes or timeouts; pass rate without the import "
                 "limitations "
              << rateString(t.rateWithoutLimitations()) << "\n";
  }
  std::cout << "time: " << numberString(secs) << " s with -j " << opts.jobs
            << "\n";
  if (!resultsPath.empty()) {
    writeResults(resultsPath, results, dataDir, filter);
    std::cout << "wrote " << resultsPath << "\n";
  }

  // Each backend's passes against its own baseline.
  int rc = 0;
  for (size_t b = 0; b < backends().size(); ++b) {
    std::string name = backends()[b].name;
    int r = checkBaseline(results, b, baselinePaths.at(name), filter,
                          updateBaseline);
    rc = std::max(rc, r);
  }
  return rc;
}

} // namespace
} // namespace dlc

int main(int argc, char **argv) { return dlc::runMain(argc, argv); }
