// safetensors checkpoints (written and read by hand: the format is a length,
// a JSON header and raw bytes), atomic file writes, and loading a checkpoint
// into a model with a clear refusal when it belongs to another model.
#include "dlrt/Artifact.h"
#include "dlrt/Train.h"

#include "dlrt/File.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <libgen.h>
#include <sstream>
#include <unistd.h>

namespace dlrt {

using json = nlohmann::json;

namespace {

const char *stDtype(DType t) {
  switch (t) {
  case DType::F32: return "F32";
  case DType::F64: return "F64";
  case DType::F16: return "F16";
  case DType::I64: return "I64";
  case DType::I32: return "I32";
  case DType::I8: return "I8";
  case DType::U8: return "U8";
  case DType::Bool: return "BOOL";
  }
  return "";
}

std::optional<DType> parseStDtype(const std::string &s) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::I64, DType::I32, DType::I8,
                  DType::U8, DType::Bool})
    if (s == stDtype(t))
      return t;
  return std::nullopt;
}

} // namespace

const Tensor *Checkpoint::find(const std::string &name) const {
  for (auto &[n, t] : tensors)
    if (n == name)
      return &t;
  return nullptr;
}

std::string serializeSafetensors(const Checkpoint &c) {
  json header = json::object();
  uint64_t offset = 0;
  for (auto &[name, t] : c.tensors) {
    header[name] = {{"dtype", stDtype(t.dtype())},
                    {"shape", t.shape()},
                    {"data_offsets", {offset, offset + t.byteSize()}}};
    offset += t.byteSize();
  }
  if (!c.metadata.empty())
    header["__metadata__"] = c.metadata;
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' '); // keeps the data 8-byte aligned
  std::string out(8, '\0');
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += h;
  out.reserve(out.size() + offset);
  for (auto &[name, t] : c.tensors)
    out.append(static_cast<const char *>(t.raw()), t.byteSize());
  return out;
}

Expected<Checkpoint> parseSafetensors(const std::string &bytes, const std::string &name) {
  auto err = [&](const std::string &m) { return Error(name + ": " + m); };
  if (bytes.size() < 8)
    return err("not a safetensors file (too short)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i)
    n |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (n > bytes.size() - 8 || n > (uint64_t(100) << 20))
    return err("not a safetensors file (header size " + std::to_string(n) + " exceeds the file)");
  json header;
  try {
    header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + static_cast<int64_t>(n));
  } catch (const json::exception &e) {
    return err(std::string("corrupt safetensors header: ") + e.what());
  }
  if (!header.is_object())
    return err("corrupt safetensors header: not a JSON object");
  uint64_t dataSize = bytes.size() - 8 - n;
  const char *data = bytes.data() + 8 + n;
  Checkpoint c;
  std::vector<std::pair<uint64_t, std::string>> order;
  try {
    for (auto &[key, v] : header.items()) {
      if (key == "__metadata__") {
        for (auto &[mk, mv] : v.items()) {
          if (!mv.is_string())
            return err("metadata '" + mk + "' is not a string");
          c.metadata[mk] = mv.get<std::string>();
        }
        continue;
      }
      auto dt = parseStDtype(v.at("dtype").get<std::string>());
      if (!dt)
        return err("tensor '" + key + "': unsupported dtype " + v.at("dtype").dump());
      std::vector<int64_t> shape = v.at("shape").get<std::vector<int64_t>>();
      for (int64_t d : shape)
        if (d < 0 || d > (int64_t(1) << 40))
          return err("tensor '" + key + "': bad shape");
      auto off = v.at("data_offsets").get<std::vector<uint64_t>>();
      Tensor t(*dt, shape);
      if (off.size() != 2 || off[0] > off[1] || off[1] > dataSize ||
          off[1] - off[0] != t.byteSize())
        return err("tensor '" + key + "': data offsets do not fit its shape or the file");
      if (t.byteSize())
        std::memcpy(t.raw(), data + off[0], t.byteSize());
      order.emplace_back(off[0], key);
      c.tensors.emplace_back(key, t);
    }
  } catch (const json::exception &e) {
    return err(std::string("corrupt safetensors header: ") + e.what());
  }
  // File order (the header's keys come sorted).
  std::vector<std::pair<std::string, Tensor>> sorted;
  std::sort(order.begin(), order.end());
  for (auto &[off, key] : order)
    sorted.emplace_back(key, *c.find(key));
  c.tensors = std::move(sorted);
  return c;
}

Expected<Checkpoint> readSafetensors(const std::string &path) {
  auto bytes = readFile(path);
  if (!bytes) { // "<path>: cannot open file: <reason>" -> name what it is
    const std::string &m = bytes.error().message();
    return Error(path + ": cannot open checkpoint" + m.substr(m.rfind(':')));
  }
  return parseSafetensors(*bytes, path);
}

Expected<Standardizer> checkpointStandardizer(const Checkpoint &c, const std::string &path) {
  Standardizer s;
  if (!c.metadata.count("dlrun.standardize_mean"))
    return s;
  try {
    s.mean = json::parse(c.metadata.at("dlrun.standardize_mean")).get<std::vector<double>>();
    s.std = json::parse(c.metadata.count("dlrun.standardize_std")
                            ? c.metadata.at("dlrun.standardize_std")
                            : "")
                .get<std::vector<double>>();
  } catch (const json::exception &) {
    return Error(path + ": corrupt standardization statistics in the checkpoint's metadata");
  }
  if (s.mean.size() != s.std.size())
    return Error(path + ": corrupt standardization statistics in the checkpoint's metadata (" +
                 std::to_string(s.mean.size()) + " means, " + std::to_string(s.std.size()) +
                 " standard deviations)");
  return s;
}

std::string modelSignature(const Model &m) {
  std::string text;
  for (const TensorSpec &s : m.values())
    if (!m.isConstant(s.name))
      text += s.str() + (m.isTrainable(s.name) ? " trainable\n" : "\n");
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(fnv1a64(text.data(), text.size())));
  return buf;
}

Checkpoint snapshot(const Model &m, const std::string &modelName) {
  Checkpoint c;
  for (const TensorSpec &s : m.values()) {
    if (m.isConstant(s.name))
      continue;
    auto t = m.value(s.name);
    DLC_ASSERT(t, "a listed value is readable");
    c.tensors.emplace_back(s.name, *t);
  }
  c.metadata["dlrun.model"] = modelName;
  c.metadata["dlrun.signature"] = modelSignature(m);
  c.metadata["format"] = "pt"; // tells safetensors' loaders the layout is PyTorch's
  return c;
}

Status restore(Model &m, const Checkpoint &c, const std::string &path, bool strict,
               const std::string &modelName) {
  std::string from = c.metadata.count("dlrun.model") ? "'" + c.metadata.at("dlrun.model") + "'"
                                                     : "another model";
  std::vector<std::string> problems;
  for (const TensorSpec &s : m.values()) {
    if (m.isConstant(s.name))
      continue;
    const Tensor *t = c.find(s.name);
    bool wanted = strict || m.isTrainable(s.name);
    if (!t) {
      if (wanted)
        problems.push_back("'" + s.name + "' is missing");
      continue;
    }
    std::vector<int64_t> want;
    for (int64_t d : s.dims)
      want.push_back(d);
    if (t->dtype() != s.dtype || t->shape() != want)
      problems.push_back("'" + s.name + "' is " + std::string(dtypeName(t->dtype())) +
                         shapeString(t->shape()) + ", the model's is " +
                         std::string(dtypeName(s.dtype)) + shapeString(want));
  }
  if (!problems.empty()) {
    std::string msg = path + ": checkpoint of " + from + " does not fit " +
                      (modelName.empty() ? std::string("this model") : modelName) + ": ";
    size_t shown = std::min<size_t>(problems.size(), 3);
    for (size_t i = 0; i < shown; ++i)
      msg += (i ? "; " : "") + problems[i];
    if (problems.size() > shown)
      msg += "; and " + std::to_string(problems.size() - shown) + " more";
    return Error(msg);
  }
  if (strict && c.metadata.count("dlrun.signature") &&
      c.metadata.at("dlrun.signature") != modelSignature(m))
    return Error(path + ": checkpoint of " + from +
                 " has the same tensors but another model signature (trainable "
                 "parameters differ); resume with the artifact it was trained with");
  for (auto &[name, t] : c.tensors) {
    if (!m.value(name) || m.isConstant(name))
      continue;
    DLC_CHECK(m.setValue(name, t));
  }
  return Status::ok();
}

} // namespace dlrt
