// Entry points -> kernels -> shared object -> .dlm (see Artifact.h).
#include "codegen/Artifact.h"

#include "codegen/Kernel.h"
#include "dlrt/Artifact.h"
#include "dlrt/File.h"
#include "ir/Printer.h"
#include "passes/PassRegistry.h"
#include "training/Initializers.h"
#include "training/Optimizers.h"
#include "training/TrainGraph.h"

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace dlc::codegen {

using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

Expected<Halide::Target> resolveTarget(const std::string &s) {
  if (s == "host")
    return hostTarget();
  if (s == "x86-64-avx2")
    return Halide::Target("x86-64-linux-avx-avx2-f16c-fma-sse41");
  if (s == "x86-64-avx512")
    return Halide::Target("x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41");
  if (s == "host-cuda")
    return hostTarget().with_feature(Halide::Target::CUDA).with_feature(
        Halide::Target::CUDACapability86);
  if (!Halide::Target::validate_target_string(s))
    return Error("unknown target '" + s + "' (expected host, x86-64-avx2, x86-64-avx512, "
                 "host-cuda or a Halide target string)");
  return Halide::Target(s);
}

// The CPU features the runtime must find before loading the kernels.
std::vector<std::string> cpuFeatures(const Halide::Target &t) {
  std::vector<std::string> f;
  if (t.has_feature(Halide::Target::SSE41))
    f.push_back("sse4.1");
  if (t.has_feature(Halide::Target::AVX))
    f.push_back("avx");
  if (t.has_feature(Halide::Target::AVX2))
    f.push_back("avx2");
  if (t.has_feature(Halide::Target::FMA))
    f.push_back("fma");
  if (t.has_feature(Halide::Target::F16C))
    f.push_back("f16c");
  if (t.has_feature(Halide::Target::AVX512))
    f.insert(f.end(), {"avx512f", "avx512cd"});
  if (t.has_feature(Halide::Target::AVX512_Skylake))
    f.insert(f.end(), {"avx512bw", "avx512vl", "avx512dq"});
  return f;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Changes whenever dlc is rebuilt, so a cache never serves kernels from an
// older lowering.
uint64_t buildId() {
  struct stat st;
  if (stat("/proc/self/exe", &st) != 0)
    return 0;
  uint64_t parts[3] = {static_cast<uint64_t>(st.st_size),
                       static_cast<uint64_t>(st.st_mtim.tv_sec),
                       static_cast<uint64_t>(st.st_mtim.tv_nsec)};
  return dlrt::fnv1a64(parts, sizeof parts);
}

std::string dimsJsonKey(const Dim &d) { return d.str(); }

json dimsJson(const Dims &dims) {
  json a = json::array();
  for (const Dim &d : dims)
    a.push_back(d.isStatic() ? json(d.value) : json(dimsJsonKey(d)));
  return a;
}

// The kernel's identity: the group as canonical .dlg text.
std::string kernelText(const KernelGroup &kg) {
  Graph s;
  std::map<const Value *, Value *> map;
  for (size_t i = 0; i < kg.inputs.size(); ++i)
    map[kg.inputs[i]] = s.addInput("in" + std::to_string(i), kg.inputs[i]->type);
  int t = 0;
  for (const Node *n : kg.nodes) {
    std::vector<Value *> ins;
    for (const Value *in : n->inputs) {
      if (in && !map.count(in)) // an embedded constant
        map[in] = s.addConst("c" + std::to_string(t++), *in->data);
      ins.push_back(in ? map.at(in) : nullptr);
    }
    std::vector<std::string> names;
    for (size_t i = 0; i < n->outputs.size(); ++i)
      names.push_back("t" + std::to_string(t++));
    Node *m = s.addNode(n->op, names[0], ins, n->attrs, names);
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      m->outputs[i]->type = n->outputs[i]->type;
      map[n->outputs[i]] = m->outputs[i];
    }
  }
  for (size_t i = 0; i < kg.outputs.size(); ++i)
    s.addOutput("out" + std::to_string(i), map.at(kg.outputs[i]));
  return printGraph(s);
}

// An object file in the cache is trusted only with its checksum beside it.
bool cachedObjectOk(const std::string &obj) {
  auto bytes = dlrt::readFile(obj), sum = dlrt::readFile(obj + ".sum");
  return bytes && sum && !bytes->empty() &&
         *sum == hex64(dlrt::fnv1a64(bytes->data(), bytes->size()));
}

Status sealCachedObject(const std::string &obj) {
  DLC_TRY(bytes, dlrt::readFile(obj));
  return dlrt::writeFileAtomic(obj + ".sum", hex64(dlrt::fnv1a64(bytes.data(), bytes.size())));
}

struct PlannedKernel {
  std::string symbol, text;
  KernelGroup group;
  std::string object;
  bool cached = false;
};

// Appends the ONNX model to the data section; its manifest entry names the
// values export takes from a checkpoint (the model's own params and states,
// not the optimizer's moments) as far as the artifact kept them.
json embedOnnx(const ArtifactOptions &o, const std::map<std::string, int> &valueIndex,
               std::string &data) {
  data.append((64 - data.size() % 64) % 64, '\0');
  json j{{"data", json::array({data.size(), o.onnxModel.size()})}, {"source", o.onnxSource}};
  data += o.onnxModel;
  json names = json::array(), bindings = json::array();
  for (const ArtifactOptions::OnnxValue &v : o.onnxValues) {
    if (!valueIndex.count(v.value))
      continue;
    if (v.nodeOutput.empty())
      names.push_back(v.value);
    else
      bindings.push_back({{"value", v.value}, {"node_output", v.nodeOutput}, {"input", v.input}});
  }
  j["initializers"] = names;
  j["bindings"] = bindings;
  return j;
}

// What dlrun trains with unless told otherwise (manifest "train").
json trainSettings(const TrainSpec &spec) {
  json j{{"optimizer", spec.optimizer.kind},
         {"lr", defaultLearningRate(spec.optimizer)},
         {"args", spec.optimizer.args}};
  if (!spec.lrSchedule.empty())
    j["lr_schedule"] = spec.lrSchedule;
  return j;
}

} // namespace

Status writeArtifact(const Graph &model, const TrainSpec &spec, const ArtifactOptions &o,
                     const std::string &path) {
  auto t0 = std::chrono::steady_clock::now();
  DLC_TRY(target, resolveTarget(o.target));
  std::string cacheDir = o.cacheDir;
  if (cacheDir.empty()) {
    const char *env = std::getenv("DLC_CACHE_DIR"), *home = std::getenv("HOME");
    cacheDir = env ? env : std::string(home ? home : "/tmp") + "/.cache/dlc";
  }
  std::string work = cacheDir;
  if (!o.useCache)
    work = fs::temp_directory_path() / ("dlc-build-" + std::to_string(getpid()));
  std::error_code ec;
  fs::create_directories(work, ec);
  if (ec)
    return Error(work + ": cannot create the kernel directory: " + ec.message());

  // Entry points, each optimized.
  std::vector<std::pair<std::string, std::unique_ptr<Graph>>> entries;
  std::vector<std::string> names;
  if (!spec.losses.empty())
    names.push_back("train");
  names.insert(names.end(), {"eval", "infer"});
  DLC_TRY(pipeline, parsePipeline("simplify,cse,dce"));
  for (const std::string &n : names) {
    std::unique_ptr<Graph> g = model.clone();
    if (n == "train")
      DLC_CHECK(buildTrainStep(*g, spec));
    else if (n == "eval")
      DLC_CHECK(buildEvalStep(*g, spec));
    else
      DLC_CHECK(buildInferStep(*g));
    DLC_CHECK(runPipeline(*g, pipeline, {}));
    entries.emplace_back(n, std::move(g));
  }

  // Persistent values, shared by name across entries.
  json values = json::array();
  std::map<std::string, int> valueIndex;
  std::string data;
  auto addValue = [&](const Value *v, const std::string &key) -> Expected<int> {
    auto it = valueIndex.find(key);
    if (it != valueIndex.end())
      return it->second;
    DLC_TRY(t, materializeParam(*v));
    data.append((64 - data.size() % 64) % 64, '\0');
    json j{{"name", key}, {"dtype", std::string(dlrt::dtypeName(v->type.dtype))},
           {"dims", dimsJson(v->type.dims)},
           {"kind", v->isParam() ? "param" : v->isState() ? "state" : "const"},
           {"trainable", v->isParam() && v->trainable},
           {"data", json::array({data.size(), t.byteSize()})}};
    data.append(static_cast<const char *>(t.raw()), t.byteSize());
    values.push_back(j);
    return valueIndex[key] = static_cast<int>(values.size()) - 1;
  };

  std::vector<PlannedKernel> kernels;
  std::map<std::string, int> kernelByText;
  json entriesJson = json::object();
  for (auto &[ename, g] : entries) {
    json e{{"inputs", json::array()}, {"outputs", json::array()}, {"buffers", json::array()},
           {"steps", json::array()}, {"updates", json::array()}};
    std::map<const Value *, int> bufferOf;
    std::map<const Value *, int> inputIndex;
    for (size_t i = 0; i < g->inputs().size(); ++i) {
      const Value *v = g->inputs()[i];
      inputIndex[v] = static_cast<int>(i);
      e["inputs"].push_back({{"name", v->name},
                             {"dtype", std::string(dlrt::dtypeName(v->type.dtype))},
                             {"dims", dimsJson(v->type.dims)}});
    }
    std::vector<KernelGroup> groups = groupNodes(*g, target);
    // Views (Reshapes) run no kernel: their buffer aliases their source's.
    std::map<const Value *, const Value *> viewSource;
    for (const KernelGroup &kg : groups)
      if (kg.viewOf && !kg.outputs.empty())
        viewSource[kg.outputs[0]] = kg.viewOf;
    std::function<Expected<int>(const Value *, int)> buffer = [&](const Value *v,
                                                                  int step) -> Expected<int> {
      // A view read at `step` keeps its source alive until then.
      int source = -1;
      if (auto view = viewSource.find(v); view != viewSource.end()) {
        DLC_TRY(s, buffer(view->second, step));
        source = s;
      }
      auto it = bufferOf.find(v);
      if (it != bufferOf.end()) {
        if (v->kind == ValueKind::Result && source < 0)
          e["buffers"][it->second]["live"][1] = step;
        return it->second;
      }
      json b{{"dtype", std::string(dlrt::dtypeName(v->type.dtype))},
             {"dims", dimsJson(v->type.dims)}};
      if (source >= 0) {
        b["source"] = "alias";
        b["ref"] = source;
      } else if (v->kind == ValueKind::Input) {
        b["source"] = "input";
        b["ref"] = inputIndex.at(v);
      } else if (v->kind == ValueKind::Result) {
        b["source"] = "temp";
        b["live"] = json::array({step, step});
      } else {
        std::string key = v->isConst() ? ename + "/" + v->name : v->name;
        DLC_TRY(idx, addValue(v, key));
        b["source"] = "value";
        b["ref"] = idx;
      }
      e["buffers"].push_back(b);
      return bufferOf[v] = static_cast<int>(e["buffers"].size()) - 1;
    };
    int s = 0; // steps so far
    for (KernelGroup &kg : groups) {
      if (kg.viewOf)
        continue;
      std::string text = kernelText(kg) + target.to_string();
      auto it = kernelByText.find(text);
      int k;
      if (it == kernelByText.end()) {
        std::string sym = "k_" + hex64(dlrt::fnv1a64(text.data(), text.size(), buildId()));
        kernels.push_back({sym, text, kg, work + "/" + sym + ".o", false});
        k = kernelByText[text] = static_cast<int>(kernels.size()) - 1;
      } else {
        k = it->second;
      }
      json args = json::array();
      for (const Value *v : kg.inputs) {
        DLC_TRY(b, buffer(v, s));
        args.push_back(b);
      }
      for (const Value *v : kg.outputs) {
        DLC_TRY(b, buffer(v, s));
        args.push_back(b);
      }
      json step{{"kernel", k}, {"args", args}, {"inputs", kg.inputs.size()}};
      std::vector<std::string> syms = scalarSymbols(kg);
      if (!syms.empty())
        step["symbols"] = syms;
      e["steps"].push_back(step);
      ++s;
    }
    int end = s;
    for (auto &[oname, v] : g->outputs()) {
      DLC_TRY(b, buffer(v, end));
      e["outputs"].push_back({{"name", oname}, {"buffer", b}});
    }
    for (auto &[t, v] : g->updates()) {
      DLC_TRY(b, buffer(v, end));
      DLC_TRY(idx, addValue(t, t->name));
      e["updates"].push_back({{"value", idx}, {"buffer", b}});
    }
    entriesJson[ename] = e;
  }

  // Compile what the cache lacks, in parallel. Building the pipelines is
  // cheap and done here; LLVM's code generation runs in the workers.
  Halide::Target noRuntime = target.with_feature(Halide::Target::NoRuntime);
  std::vector<std::pair<size_t, BuiltKernel>> todo;
  for (size_t i = 0; i < kernels.size(); ++i) {
    PlannedKernel &pk = kernels[i];
    if (o.useCache && cachedObjectOk(pk.object)) {
      pk.cached = true;
      continue;
    }
    DLC_TRY(bk, buildKernel(pk.group, target, pk.symbol));
    todo.emplace_back(i, std::move(bk));
  }
  std::atomic<size_t> next{0};
  std::mutex errMu;
  std::optional<Error> firstErr;
  auto worker = [&] {
    for (size_t j; (j = next++) < todo.size();) {
      auto &[i, bk] = todo[j];
      PlannedKernel &pk = kernels[i];
      std::string tmp = pk.object + ".tmp" + std::to_string(getpid()) + "_" + std::to_string(j);
      try {
        bk.pipeline.compile_to_object(tmp, bk.args, pk.symbol, noRuntime);
        if (std::rename(tmp.c_str(), pk.object.c_str()) != 0)
          throw std::runtime_error("cannot write " + pk.object);
        if (Status s = sealCachedObject(pk.object); !s)
          throw std::runtime_error(s.error().message());
      } catch (const std::exception &ex) {
        std::lock_guard<std::mutex> lock(errMu);
        if (!firstErr)
          firstErr = Error("kernel " + pk.symbol + " (" +
                           pk.group.nodes.front()->describe() + "): " + ex.what());
      }
    }
  };
  int jobs = o.jobs > 0 ? o.jobs : std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j)
    pool.emplace_back(worker);
  for (auto &t : pool)
    t.join();
  if (firstErr)
    return *firstErr;
  auto t1 = std::chrono::steady_clock::now();

  // One Halide runtime for all kernels, cached per target.
  Halide::Target rtTarget = target.without_feature(Halide::Target::NoRuntime);
  std::string runtimeObj = work + "/runtime_" +
                           hex64(dlrt::fnv1a64(rtTarget.to_string().data(),
                                               rtTarget.to_string().size(), buildId())) +
                           ".o";
  if (!o.useCache || !cachedObjectOk(runtimeObj)) {
    // Written beside the cache entry and renamed into place, as the kernels
    // are: compiles running at once (parallel builds sharing a cache) never
    // link a half-written runtime.
    std::string tmp = runtimeObj + ".tmp" + std::to_string(getpid());
    try {
      Halide::compile_standalone_runtime(tmp, rtTarget);
    } catch (const Halide::Error &ex) {
      std::remove(tmp.c_str());
      return Error(std::string("halide runtime: ") + ex.what());
    }
    if (std::rename(tmp.c_str(), runtimeObj.c_str()) != 0) {
      std::remove(tmp.c_str());
      return Error(runtimeObj + ": cannot write file");
    }
    DLC_CHECK(sealCachedObject(runtimeObj));
  }
  std::string so = work + "/link_" + std::to_string(getpid()) + ".so";
  std::string cmd = "cc -shared -o '" + so + "'";
  for (const PlannedKernel &pk : kernels)
    cmd += " '" + pk.object + "'";
  cmd += " '" + runtimeObj + "' -lpthread -ldl -lm 2>&1";
  std::string linkLog;
  if (FILE *p = popen(cmd.c_str(), "r")) {
    char buf[512];
    while (fgets(buf, sizeof buf, p))
      linkLog += buf;
    if (pclose(p) != 0)
      return Error("linking the kernels failed: " + linkLog);
  } else {
    return Error("cannot run the linker (cc)");
  }
  DLC_TRY(code, dlrt::readFile(so));
  std::remove(so.c_str());

  json kernelsJson = json::array();
  for (const PlannedKernel &pk : kernels)
    kernelsJson.push_back(
        {{"symbol", pk.symbol},
         {"arity", pk.group.inputs.size() + pk.group.outputs.size()}});
  json manifest{{"format", 1},          {"target", target.to_string()},
                {"cpu_features", cpuFeatures(target)}, {"values", values},
                {"kernels", kernelsJson}, {"entries", entriesJson}};
  if (!spec.losses.empty())
    manifest["train"] = trainSettings(spec);
  if (!o.onnxModel.empty())
    manifest["onnx"] = embedOnnx(o, valueIndex, data);
  std::string m = manifest.dump();
  dlrt::ArtifactHeader h{};
  std::memcpy(h.magic, dlrt::kArtifactMagic, 8);
  h.version = dlrt::kArtifactVersion;
  h.headerSize = sizeof h;
  h.manifestSize = m.size();
  h.codeSize = code.size();
  h.dataSize = data.size();
  h.fileSize = sizeof h + m.size() + code.size() + data.size();
  std::string body = m + code + data;
  h.checksum = dlrt::fnv1a64(body.data(), body.size());
  std::string file(reinterpret_cast<const char *>(&h), sizeof h);
  file += body;
  DLC_CHECK(dlrt::writeFileAtomic(path, file));
  if (!o.useCache)
    fs::remove_all(work, ec);

  if (o.report) {
    size_t hits = 0;
    for (const PlannedKernel &pk : kernels)
      hits += pk.cached;
    auto t2 = std::chrono::steady_clock::now();
    *o.report << "dlc: " << kernels.size() << " kernels (" << hits << " from the cache, "
              << todo.size() << " compiled on " << jobs << " threads in "
              << std::chrono::duration<double>(t1 - t0).count() << " s); total "
              << std::chrono::duration<double>(t2 - t0).count() << " s; " << path << ": "
              << file.size() << " bytes, target " << target.to_string() << "\n";
  }
  return Status::ok();
}

Expected<std::string> emitKernels(const Graph &g, const std::string &targetName,
                                  const std::string &form) {
  DLC_TRY(target, resolveTarget(targetName));
  std::string out;
  std::vector<KernelGroup> groups = groupNodes(g, target);
  std::string file = (fs::temp_directory_path() / ("dlc-emit-" + std::to_string(getpid()))).string();
  size_t kernels = 0;
  for (const KernelGroup &kg : groups) {
    if (kg.viewOf) {
      const Node &n = *kg.nodes.front();
      out += "// view: " + n.name + " (" + opName(n.op) + ") of " + kg.viewOf->name + "\n\n";
      continue;
    }
    std::string name = "kernel" + std::to_string(kernels++);
    DLC_TRY(k, buildKernel(kg, target, name));
    out += "// " + name + ":";
    for (const Node *n : kg.nodes)
      out += " " + n->name + " (" + opName(n->op) + ")";
    out += "\n";
    try {
      if (form == "halide")
        k.pipeline.compile_to_lowered_stmt(file, k.args, Halide::StmtOutputFormat::Text, target);
      else
        k.pipeline.compile_to_assembly(file, k.args, name,
                                       target.with_feature(Halide::Target::NoRuntime));
    } catch (const Halide::Error &e) {
      return Error("kernel " + name + ": halide: " + e.what());
    }
    DLC_TRY(text, dlrt::readFile(file));
    out += text + "\n";
  }
  std::remove(file.c_str());
  return out;
}

} // namespace dlc::codegen
