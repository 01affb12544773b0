// Loading and running .dlm artifacts (format in dlrt/Artifact.h).
#include "Device.h"
#include "dlrt/Artifact.h"
#include "dlrt/File.h"
#include "dlrt/Runtime.h"

#include <HalideRuntime.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <optional>
#include <sys/mman.h>
#include <unistd.h>

namespace dlrt {

using json = nlohmann::json;

std::string TensorSpec::str() const {
  std::string s = name + ": " + std::string(dtypeName(dtype)) + "[";
  for (size_t i = 0; i < dims.size(); ++i)
    s += (i ? ", " : "") + (dims[i] < 0 ? symbols[i] : std::to_string(dims[i]));
  return s + "]";
}

namespace {

using ArgvFn = int (*)(void **);

struct Buffer {
  DType dtype;
  std::vector<int64_t> dims; // -1: symbolic
  std::vector<std::string> syms;
  // Alias: a view of buffer `ref` (an earlier one), its memory read in this
  // buffer's shape.
  enum Source { Input, Value, Temp, Alias } source;
  int ref = 0;
  int first = 0, last = 0;
  // A temp holding the new data of value swapValue (an update's buffer): it
  // lives outside the arena, in the value's shadow tensor, and the two
  // trade places after the step instead of the data being copied.
  int swapValue = -1;
};

struct Step {
  int kernel;
  std::vector<int> args; // inputs, then outputs
  size_t inputs = 0;
  std::vector<std::string> symbols; // int32 scalars between inputs and outputs
};

struct Entry {
  std::vector<TensorSpec> inputs;
  std::vector<std::pair<std::string, int>> outputs;
  std::vector<Buffer> buffers;
  std::vector<Step> steps;
  std::vector<std::pair<int, int>> updates; // (value, buffer)
  // Arena plan for the last symbol binding.
  std::map<std::string, int64_t> plannedFor;
  std::vector<size_t> offsets;
  size_t arenaBytes = 0;
};

halide_type_t halideTypeOf(DType t) {
  switch (t) {
  case DType::F32: return {halide_type_float, 32, 1};
  case DType::F64: return {halide_type_float, 64, 1};
  case DType::F16: return {halide_type_float, 16, 1};
  case DType::I64: return {halide_type_int, 64, 1};
  case DType::I32: return {halide_type_int, 32, 1};
  case DType::I8: return {halide_type_int, 8, 1};
  case DType::U8: return {halide_type_uint, 8, 1};
  case DType::Bool: return {halide_type_uint, 8, 1};
  }
  return {halide_type_float, 32, 1};
}

bool cpuHas(const std::string &f) {
#define DLRT_FEATURE(name)                                                     \
  if (f == #name)                                                              \
    return __builtin_cpu_supports(#name);
  DLRT_FEATURE(sse4.1) DLRT_FEATURE(avx) DLRT_FEATURE(avx2) DLRT_FEATURE(fma)
  DLRT_FEATURE(avx512f) DLRT_FEATURE(avx512bw) DLRT_FEATURE(avx512vl)
  DLRT_FEATURE(avx512dq) DLRT_FEATURE(avx512cd)
#undef DLRT_FEATURE
  if (f == "f16c") { // no __builtin_cpu_supports name in GCC 12
    unsigned a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    return c & (1u << 29);
  }
  return false;
}

Expected<TensorSpec> specOf(const json &j) {
  TensorSpec s;
  s.name = j.value("name", "");
  auto dt = parseDType(j.at("dtype").get<std::string>());
  if (!dt)
    return Error("unknown dtype " + j.at("dtype").dump());
  s.dtype = *dt;
  for (const json &d : j.at("dims")) {
    if (d.is_string()) {
      s.dims.push_back(-1);
      s.symbols.push_back(d.get<std::string>());
    } else {
      s.dims.push_back(d.get<int64_t>());
      s.symbols.emplace_back();
    }
  }
  return s;
}

} // namespace

struct Model::Impl {
  std::string path, target;
  std::string bytes; // the whole file (data blobs are copied out)
  void *handle = nullptr;
  int fd = -1;
  std::vector<ArgvFn> kernels;
  std::vector<std::string> kernelNames;
  int (*setThreads)(int) = nullptr;
  int threads = 1;
  // Set only for a GPU target: the device side of the buffers (Device.h).
  // CPU artifacts leave it empty and pay one test per run.
  std::optional<DeviceRuntime> device;
  std::vector<TensorSpec> valueSpecs;
  std::vector<std::string> valueKinds;
  std::vector<bool> trainable;
  std::vector<Tensor> values;
  std::vector<Tensor> shadows; // per value: the other half of a swapped update
  std::map<std::string, Entry> entries;
  void *arena = nullptr;
  size_t arenaCap = 0;
  TrainSettings train; // manifest "train"
  // The embedded ONNX model (manifest "onnx"): where it lies in the file,
  // read on demand, and the file's checksum to know it is the same file.
  bool hasOnnx = false;
  uint64_t onnxAt = 0, onnxSize = 0, checksum = 0;
  std::string onnxSource;
  std::vector<std::string> onnxInitializers;
  std::vector<EmbeddedOnnx::Binding> onnxBindings;

  ~Impl() {
    std::free(arena);
    if (handle)
      dlclose(handle);
    if (fd >= 0)
      close(fd);
  }

  Error err(const std::string &m) const { return Error(path + ": " + m); }
  Status parse();
  Status bind(Entry &e, const std::map<std::string, Tensor> &inputs,
              std::vector<const Tensor *> &bound, std::map<std::string, int64_t> &syms);
  void plan(Entry &e, const std::map<std::string, int64_t> &syms);
  Expected<std::vector<Tensor>> run(const std::string &name,
                                    const std::map<std::string, Tensor> &inputs);
};

Status Model::Impl::parse() {
  if (bytes.size() < sizeof(ArtifactHeader))
    return err("not a dlc artifact (too short for a header)");
  ArtifactHeader h;
  std::memcpy(&h, bytes.data(), sizeof h);
  if (std::memcmp(h.magic, kArtifactMagic, 8) != 0)
    return err("not a dlc artifact (bad magic)");
  if (h.version < 1 || h.version > kArtifactVersion)
    return err("artifact format version " + std::to_string(h.version) +
               " is not one of the supported 1-" + std::to_string(kArtifactVersion));
  if (h.headerSize != sizeof h || h.fileSize != bytes.size())
    return err("truncated or padded artifact: header says " + std::to_string(h.fileSize) +
               " bytes, the file has " + std::to_string(bytes.size()));
  if (h.manifestSize > h.fileSize || h.codeSize > h.fileSize || h.dataSize > h.fileSize ||
      sizeof h + h.manifestSize + h.codeSize + h.dataSize != h.fileSize)
    return err("corrupt artifact: section sizes do not add up");
  if (fnv1a64(bytes.data() + sizeof h, bytes.size() - sizeof h) != h.checksum)
    return err("corrupt artifact: checksum mismatch");
  const char *manifestAt = bytes.data() + sizeof h;
  const char *codeAt = manifestAt + h.manifestSize;
  const char *dataAt = codeAt + h.codeSize;

  json m;
  try {
    m = json::parse(manifestAt, manifestAt + h.manifestSize);
    if (m.at("format").get<int>() != 1)
      return err("unsupported manifest format");
    target = m.at("target").get<std::string>();
    std::string missing;
    for (const json &f : m.at("cpu_features"))
      if (!cpuHas(f.get<std::string>()))
        missing += (missing.empty() ? "" : ", ") + f.get<std::string>();
    if (!missing.empty())
      return err("compiled for CPU features this machine lacks: " + missing +
                 " (recompile with --target=host)");
    for (const json &v : m.at("values")) {
      DLC_TRY(spec, specOf(v));
      Tensor t(spec.dtype, [&] {
        std::vector<int64_t> s;
        for (int64_t d : spec.dims)
          s.push_back(d < 0 ? 0 : d);
        return s;
      }());
      auto range = v.at("data");
      uint64_t off = range.at(0).get<uint64_t>(), n = range.at(1).get<uint64_t>();
      if (off > h.dataSize || n > h.dataSize - off || n != t.byteSize())
        return err("corrupt artifact: value '" + spec.name + "' has bad data bounds");
      if (n)
        std::memcpy(t.raw(), dataAt + off, n);
      valueSpecs.push_back(spec);
      valueKinds.push_back(v.at("kind").get<std::string>());
      trainable.push_back(v.value("trainable", false));
      values.push_back(t);
    }
    shadows.resize(values.size());
    for (auto &[name, e] : m.at("entries").items()) {
      Entry entry;
      for (const json &in : e.at("inputs")) {
        DLC_TRY(spec, specOf(in));
        entry.inputs.push_back(spec);
      }
      for (const json &b : e.at("buffers")) {
        DLC_TRY(spec, specOf(b));
        Buffer buf{spec.dtype, spec.dims, spec.symbols, Buffer::Temp, 0, 0, 0};
        std::string src = b.at("source").get<std::string>();
        if (src != "input" && src != "value" && src != "temp" && src != "alias")
          return err("corrupt artifact: unknown buffer source '" + src + "'");
        buf.source = src == "input"   ? Buffer::Input
                     : src == "value" ? Buffer::Value
                     : src == "alias" ? Buffer::Alias
                                      : Buffer::Temp;
        buf.ref = b.value("ref", 0);
        if (b.contains("live")) {
          buf.first = b.at("live").at(0).get<int>();
          buf.last = b.at("live").at(1).get<int>();
        }
        size_t limit = buf.source == Buffer::Input   ? entry.inputs.size()
                       : buf.source == Buffer::Alias ? entry.buffers.size()
                                                     : values.size();
        if (buf.source != Buffer::Temp && (buf.ref < 0 || static_cast<size_t>(buf.ref) >= limit))
          return err("corrupt artifact: buffer refers out of range");
        entry.buffers.push_back(buf);
      }
      size_t kernelCount = m.at("kernels").size();
      for (const json &s : e.at("steps")) {
        Step st{s.at("kernel").get<int>(), s.at("args").get<std::vector<int>>(),
                s.value("inputs", size_t(0)),
                s.value("symbols", std::vector<std::string>())};
        if (st.inputs > st.args.size())
          return err("corrupt artifact: step has more inputs than arguments");
        if (st.kernel < 0 || static_cast<size_t>(st.kernel) >= kernelCount)
          return err("corrupt artifact: step refers to a missing kernel");
        for (int a : st.args)
          if (a < 0 || static_cast<size_t>(a) >= entry.buffers.size())
            return err("corrupt artifact: step refers to a missing buffer");
        entry.steps.push_back(st);
      }
      for (const json &o : e.at("outputs")) {
        int b = o.at("buffer").get<int>();
        if (b < 0 || static_cast<size_t>(b) >= entry.buffers.size())
          return err("corrupt artifact: output refers to a missing buffer");
        entry.outputs.emplace_back(o.at("name").get<std::string>(), b);
      }
      for (const json &u : e.value("updates", json::array())) {
        int v = u.at("value").get<int>(), b = u.at("buffer").get<int>();
        if (v < 0 || static_cast<size_t>(v) >= values.size() || b < 0 ||
            static_cast<size_t>(b) >= entry.buffers.size())
          return err("corrupt artifact: update refers out of range");
        entry.updates.emplace_back(v, b);
      }
      // Swap only a temp of the value's exact type that no other update
      // shares (neither the buffer nor the value); the rest are copied.
      for (auto &[v, b] : entry.updates) {
        Buffer &buf = entry.buffers[b];
        bool alone = buf.source == Buffer::Temp && buf.dtype == valueSpecs[v].dtype &&
                     buf.dims == valueSpecs[v].dims;
        for (auto &[ov, ob] : entry.updates)
          alone = alone && (ob == b) == (ov == v);
        if (alone)
          buf.swapValue = v;
      }
      entries[name] = std::move(entry);
    }
    for (const json &k : m.at("kernels"))
      kernelNames.push_back(k.at("symbol").get<std::string>());
    if (m.contains("train")) {
      const json &t = m.at("train");
      train.present = true;
      train.optimizer = t.at("optimizer").get<std::string>();
      train.lr = t.at("lr").get<double>();
      train.args = t.value("args", std::map<std::string, double>());
      train.lrSchedule = t.value("lr_schedule", std::string());
    }
    if (m.contains("onnx")) {
      const json &o = m.at("onnx");
      uint64_t off = o.at("data").at(0).get<uint64_t>(), n = o.at("data").at(1).get<uint64_t>();
      if (off > h.dataSize || n > h.dataSize - off)
        return err("corrupt artifact: the embedded ONNX model has bad data bounds");
      hasOnnx = true;
      onnxAt = static_cast<uint64_t>(dataAt - bytes.data()) + off;
      onnxSize = n;
      onnxSource = o.at("source").get<std::string>();
      onnxInitializers = o.at("initializers").get<std::vector<std::string>>();
      for (const json &b : o.value("bindings", json::array()))
        onnxBindings.push_back({b.at("value").get<std::string>(),
                                b.at("node_output").get<std::string>(), b.at("input").get<int>()});
    }
    checksum = h.checksum;
  } catch (const json::exception &e) {
    return err(std::string("corrupt artifact manifest: ") + e.what());
  }

  // Only now, with everything checked, load the code.
  fd = memfd_create("dlm-kernels", MFD_CLOEXEC);
  if (fd < 0 || write(fd, codeAt, h.codeSize) != static_cast<ssize_t>(h.codeSize))
    return err(std::string("cannot stage the kernels in memory: ") + std::strerror(errno));
  std::string soPath = "/proc/self/fd/" + std::to_string(fd);
  handle = dlopen(soPath.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return err(std::string("cannot load the kernels: ") + dlerror());
  for (const std::string &k : kernelNames) {
    auto fn = reinterpret_cast<ArgvFn>(dlsym(handle, (k + "_argv").c_str()));
    if (!fn)
      return err("the artifact's code lacks kernel " + k);
    kernels.push_back(fn);
  }
  setThreads = reinterpret_cast<int (*)(int)>(dlsym(handle, "halide_set_num_threads"));
  captureHalideErrors(handle);
  if (targetUsesGpu(target)) {
    auto d = DeviceRuntime::resolve(handle);
    if (!d)
      return err(d.error().message());
    device = *d;
  }
  return Status::ok();
}

Status Model::Impl::bind(Entry &e, const std::map<std::string, Tensor> &inputs,
                         std::vector<const Tensor *> &bound,
                         std::map<std::string, int64_t> &syms) {
  for (const auto &input : inputs)
    if (std::none_of(e.inputs.begin(), e.inputs.end(),
                     [&](const TensorSpec &s) { return s.name == input.first; }))
      return Error("unknown input '" + input.first + "'");
  for (const TensorSpec &s : e.inputs) {
    auto it = inputs.find(s.name);
    if (it == inputs.end())
      return Error("missing input " + s.str());
    const Tensor &t = it->second;
    bool ok = t.dtype() == s.dtype && t.rank() == static_cast<int64_t>(s.dims.size());
    for (size_t a = 0; ok && a < s.dims.size(); ++a) {
      if (s.dims[a] >= 0) {
        ok = t.shape()[a] == s.dims[a];
      } else {
        auto [pos, fresh] = syms.emplace(s.symbols[a], t.shape()[a]);
        ok = fresh || pos->second == t.shape()[a];
      }
    }
    if (!ok)
      return Error("input '" + s.name + "': expected " + s.str().substr(s.name.size() + 2) +
                   ", got " + std::string(dtypeName(t.dtype())) + shapeString(t.shape()));
    bound.push_back(&t);
  }
  return Status::ok();
}

// Greedy packing: the largest temps first, each at the lowest offset free of
// every placed temp whose life overlaps its own.
void Model::Impl::plan(Entry &e, const std::map<std::string, int64_t> &syms) {
  if (e.plannedFor == syms && !e.offsets.empty())
    return;
  std::vector<size_t> sizes(e.buffers.size(), 0);
  std::vector<int> order;
  for (size_t i = 0; i < e.buffers.size(); ++i) {
    const Buffer &b = e.buffers[i];
    if (b.source != Buffer::Temp || b.swapValue >= 0)
      continue;
    size_t n = dtypeSize(b.dtype);
    for (size_t a = 0; a < b.dims.size(); ++a)
      n *= static_cast<size_t>(b.dims[a] >= 0 ? b.dims[a] : syms.at(b.syms[a]));
    sizes[i] = (n + 63) / 64 * 64;
    order.push_back(static_cast<int>(i));
  }
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return sizes[a] > sizes[b]; });
  e.offsets.assign(e.buffers.size(), 0);
  std::vector<int> placed;
  e.arenaBytes = 0;
  for (int i : order) {
    std::vector<std::pair<size_t, size_t>> busy;
    for (int p : placed)
      if (e.buffers[p].first <= e.buffers[i].last && e.buffers[i].first <= e.buffers[p].last)
        busy.emplace_back(e.offsets[p], e.offsets[p] + sizes[p]);
    std::sort(busy.begin(), busy.end());
    size_t off = 0;
    for (auto &[lo, hi] : busy) {
      if (off + sizes[i] <= lo)
        break;
      off = std::max(off, hi);
    }
    e.offsets[i] = off;
    e.arenaBytes = std::max(e.arenaBytes, off + sizes[i]);
    placed.push_back(i);
  }
  e.plannedFor = syms;
}

Expected<std::vector<Tensor>> Model::Impl::run(const std::string &name,
                                               const std::map<std::string, Tensor> &inputs) {
  auto it = entries.find(name);
  if (it == entries.end())
    return Error("the artifact has no entry point '" + name + "'");
  Entry &e = it->second;
  std::vector<const Tensor *> bound;
  std::map<std::string, int64_t> syms;
  DLC_CHECK(bind(e, inputs, bound, syms));
  plan(e, syms);
  if (e.arenaBytes > arenaCap) {
    std::free(arena);
    arena = std::aligned_alloc(64, e.arenaBytes);
    if (!arena)
      return Error("cannot allocate " + std::to_string(e.arenaBytes) + " bytes of activations");
    arenaCap = e.arenaBytes;
  }
  if (setThreads)
    setThreads(threads);
  // A GPU artifact where no device is usable stops here, before any kernel.
  if (device)
    if (Status s = device->prepare(target); !s)
      return err(s.error().message());

  // Buffer descriptors for this binding.
  size_t nb = e.buffers.size();
  std::vector<halide_buffer_t> hb(nb);
  std::vector<std::vector<halide_dimension_t>> hdims(nb);
  std::vector<std::vector<int64_t>> shapes(nb);
  for (size_t i = 0; i < nb; ++i) {
    const Buffer &b = e.buffers[i];
    for (size_t a = 0; a < b.dims.size(); ++a)
      shapes[i].push_back(b.dims[a] >= 0 ? b.dims[a] : syms.at(b.syms[a]));
    if (b.swapValue >= 0 && shadows[b.swapValue].empty())
      shadows[b.swapValue] = Tensor(values[b.swapValue].dtype(), values[b.swapValue].shape());
    void *host = b.source == Buffer::Input ? const_cast<void *>(bound[b.ref]->raw())
                 : b.source == Buffer::Value ? values[b.ref].raw()
                 : b.source == Buffer::Alias ? static_cast<void *>(hb[b.ref].host)
                 : b.swapValue >= 0          ? shadows[b.swapValue].raw()
                                             : static_cast<char *>(arena) + e.offsets[i];
    int rank = static_cast<int>(shapes[i].size());
    hdims[i].resize(rank);
    int64_t stride = 1;
    for (int hd = 0; hd < rank; ++hd) {
      int64_t extent = shapes[i][rank - 1 - hd];
      hdims[i][hd] = halide_dimension_t(0, static_cast<int32_t>(extent),
                                        static_cast<int32_t>(stride));
      stride *= extent;
    }
    hb[i] = halide_buffer_t();
    hb[i].host = static_cast<uint8_t *>(host);
    hb[i].type = halideTypeOf(b.dtype);
    hb[i].dimensions = rank;
    hb[i].dim = hdims[i].data();
    // On a GPU, inputs and values must be copied to the device: their host
    // data is the newest. Temps start with no device copy; Halide allocates
    // and tracks them from here on.
    if (device && (b.source == Buffer::Input || b.source == Buffer::Value))
      hb[i].set_host_dirty(true);
  }
  // Device allocations end with the run on every path, errors included.
  struct FreeDevice {
    const std::optional<DeviceRuntime> &d;
    std::vector<halide_buffer_t> &hb;
    ~FreeDevice() {
      if (d)
        (void)d->release(hb);
    }
  } freeDevice{device, hb};
  // A view (Alias) shares its source's host memory but gets a device copy of
  // its own (Halide tracks one per descriptor), so on a GPU the source's data
  // reaches it through host memory: before a kernel first reads a view, the
  // source chain is copied back to host where the device's copy is newer and
  // the view is marked host-newer, so the kernel copies it up. One round trip
  // per view and run; views are few and small (a flatten before a dense layer).
  auto toHost = [&](int b, const std::string &what) -> Status {
    for (;; b = e.buffers[b].ref) {
      DLC_CHECK(device->copyToHost(hb[b], what));
      if (e.buffers[b].source != Buffer::Alias)
        return Status::ok();
    }
  };
  for (size_t s = 0; s < e.steps.size(); ++s) {
    const Step &st = e.steps[s];
    for (size_t i = 0; device && i < st.inputs; ++i)
      if (int a = st.args[i]; e.buffers[a].source == Buffer::Alias && hb[a].device == 0) {
        DLC_CHECK(toHost(e.buffers[a].ref, "the source of view buffer " + std::to_string(a)));
        hb[a].set_host_dirty(true);
      }
    std::vector<void *> args;
    std::vector<int32_t> symValues;
    for (const std::string &sym : st.symbols) {
      auto v = syms.find(sym);
      if (v == syms.end())
        return Error("step " + std::to_string(s) + " needs dim '" + sym +
                     "', which no input of " + name + " binds");
      symValues.push_back(static_cast<int32_t>(v->second));
    }
    for (size_t i = 0; i < st.args.size(); ++i) {
      if (i == st.inputs)
        for (int32_t &v : symValues)
          args.push_back(&v);
      args.push_back(&hb[st.args[i]]);
    }
    int rc = kernels[st.kernel](args.data());
    if (rc != 0) {
      std::string why = takeHalideMessage();
      return Error("kernel " + kernelNames[st.kernel] + " (step " + std::to_string(s) +
                   " of " + name + ") failed with Halide error " + std::to_string(rc) +
                   (why.empty() ? "" : ": " + why));
    }
  }
  if (device) { // results to host memory, where the code below reads them
    for (auto &[oname, b] : e.outputs)
      DLC_CHECK(toHost(b, "output '" + oname + "'"));
    for (auto &[v, b] : e.updates)
      DLC_CHECK(toHost(b, "the new value of '" + valueSpecs[v].name + "'"));
    DLC_CHECK(device->release(hb));
  }
  std::vector<Tensor> outs;
  for (auto &[oname, b] : e.outputs) {
    Tensor t(e.buffers[b].dtype, shapes[b]);
    if (t.byteSize())
      std::memcpy(t.raw(), hb[b].host, t.byteSize());
    outs.push_back(t);
  }
  // Updates read buffers computed from the old values, so they go last. A
  // swapped update's buffer already is the value's shadow: the value takes
  // it and the old data becomes the shadow the next step writes into (no
  // caller holds a value's buffer: value() returns copies). Copying every
  // parameter and optimizer moment each step instead cost MLP+Adam ~20% of
  // its step.
  for (auto &[v, b] : e.updates) {
    if (e.buffers[b].swapValue == v)
      std::swap(values[v], shadows[v]);
    else
      std::memcpy(values[v].raw(), hb[b].host, values[v].byteSize());
  }
  return outs;
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::~Model() = default;

Expected<std::unique_ptr<Model>> Model::load(const std::string &path) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  DLC_TRY(bytes, readFile(path));
  impl->bytes = std::move(bytes);
  DLC_CHECK(impl->parse());
  impl->bytes.clear();
  impl->bytes.shrink_to_fit();
  return std::unique_ptr<Model>(new Model(std::move(impl)));
}

std::vector<std::string> Model::entries() const {
  std::vector<std::string> names;
  for (auto &[n, e] : impl_->entries)
    names.push_back(n);
  return names;
}

Expected<std::vector<TensorSpec>> Model::inputs(const std::string &entry) const {
  auto it = impl_->entries.find(entry);
  if (it == impl_->entries.end())
    return Error("the artifact has no entry point '" + entry + "'");
  return it->second.inputs;
}

Expected<std::vector<TensorSpec>> Model::outputs(const std::string &entry) const {
  auto it = impl_->entries.find(entry);
  if (it == impl_->entries.end())
    return Error("the artifact has no entry point '" + entry + "'");
  std::vector<TensorSpec> specs;
  for (auto &[name, b] : it->second.outputs) {
    const Buffer &buf = it->second.buffers[b];
    specs.push_back({name, buf.dtype, buf.dims, buf.syms});
  }
  return specs;
}

Expected<std::vector<Tensor>> Model::run(const std::string &entry,
                                         const std::map<std::string, Tensor> &inputs) {
  auto r = impl_->run(entry, inputs);
  if (!r)
    return r.takeError().withContext(entry);
  return r;
}

std::vector<TensorSpec> Model::values() const { return impl_->valueSpecs; }

bool Model::isTrainable(const std::string &name) const {
  for (size_t i = 0; i < impl_->valueSpecs.size(); ++i)
    if (impl_->valueSpecs[i].name == name)
      return impl_->trainable[i];
  return false;
}

bool Model::isConstant(const std::string &name) const {
  for (size_t i = 0; i < impl_->valueSpecs.size(); ++i)
    if (impl_->valueSpecs[i].name == name)
      return impl_->valueKinds[i] == "const";
  return false;
}

Expected<Tensor> Model::value(const std::string &name) const {
  for (size_t i = 0; i < impl_->valueSpecs.size(); ++i)
    if (impl_->valueSpecs[i].name == name)
      return impl_->values[i].clone();
  return Error("the model has no parameter or state '" + name + "'");
}

Status Model::setValue(const std::string &name, const Tensor &t) {
  for (size_t i = 0; i < impl_->valueSpecs.size(); ++i) {
    if (impl_->valueSpecs[i].name != name)
      continue;
    const Tensor &cur = impl_->values[i];
    if (t.dtype() != cur.dtype() || t.shape() != cur.shape())
      return Error("'" + name + "' is " + std::string(dtypeName(cur.dtype())) +
                   shapeString(cur.shape()) + ", got " + std::string(dtypeName(t.dtype())) +
                   shapeString(t.shape()));
    impl_->values[i] = t.clone();
    return Status::ok();
  }
  return Error("the model has no parameter or state '" + name + "'");
}

Expected<Model::EmbeddedOnnx> Model::embeddedOnnx() const {
  const Impl &m = *impl_;
  if (!m.hasOnnx)
    return m.err("the artifact embeds no ONNX model (it was compiled by a dlc older than "
                 "`dlrun export`); compile the model again with dlc");
  DLC_TRY(bytes, readFile(m.path));
  ArtifactHeader h{};
  if (bytes.size() >= sizeof h)
    std::memcpy(&h, bytes.data(), sizeof h);
  if (h.checksum != m.checksum || m.onnxAt + m.onnxSize > bytes.size())
    return m.err("the artifact changed on disk since it was loaded");
  return EmbeddedOnnx{bytes.substr(m.onnxAt, m.onnxSize), m.onnxSource, m.onnxInitializers,
                      m.onnxBindings};
}

const Model::TrainSettings &Model::trainSettings() const { return impl_->train; }
const std::string &Model::target() const { return impl_->target; }
void Model::setNumThreads(int n) { impl_->threads = std::max(1, n); }
int Model::numThreads() const { return impl_->threads; }

} // namespace dlrt
