// Data sets in memory: data specs, .npy pairs, row gathers, the reproducible
// RNG behind shuffles and splits, standardization and batching.
#include "dlrt/Data.h"
#include "dlrt/Npy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

namespace dlrt {

namespace {

// Rows of t (first axis) in the given order.
Tensor gatherRows(const Tensor &t, const std::vector<int64_t> &rows) {
  if (t.empty())
    return t;
  std::vector<int64_t> shape = t.shape();
  int64_t n = shape[0];
  size_t rowBytes = n ? t.byteSize() / n : 0;
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor out(t.dtype(), shape);
  const char *src = static_cast<const char *>(t.raw());
  char *dst = static_cast<char *>(out.raw());
  for (size_t i = 0; i < rows.size(); ++i) {
    DLC_ASSERT(rows[i] >= 0 && rows[i] < n, "row out of range");
    std::memcpy(dst + i * rowBytes, src + rows[i] * rowBytes, rowBytes);
  }
  return out;
}

// Stored features as the f32 values they stand for.
Tensor asFeatures(const Tensor &x, double scale) {
  if (x.empty() || (x.dtype() == DType::F32 && scale == 1))
    return x;
  Tensor out(DType::F32, x.shape());
  float *q = out.data<float>();
  if (x.dtype() == DType::U8) {
    // A table of the 256 values, each rounded once from double as the whole
    // set was converted when it was stored as f32.
    float table[256];
    for (int v = 0; v < 256; ++v)
      table[v] = static_cast<float>(v * scale);
    const uint8_t *p = x.data<uint8_t>();
    for (int64_t i = 0, n = x.numel(); i < n; ++i)
      q[i] = table[p[i]];
  } else {
    for (int64_t i = 0, n = x.numel(); i < n; ++i)
      q[i] = static_cast<float>(x.getDouble(i) * scale);
  }
  return out;
}

uint64_t splitmix64(uint64_t &x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Expected<CsvOptions> parseCsvOptions(const std::string &spec,
                                     const std::vector<std::string> &opts) {
  CsvOptions o;
  for (const std::string &opt : opts) {
    size_t eq = opt.find('=');
    std::string key = opt.substr(0, eq), value = eq == std::string::npos ? "" : opt.substr(eq + 1);
    auto integer = [&](int64_t &out) -> Status {
      char *end = nullptr;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end)
        return Error(spec + ": " + key + "=" + value + " is not an integer");
      out = v;
      return Status::ok();
    };
    if (key == "header" && (value == "auto" || value == "yes" || value == "no"))
      o.header = value == "auto" ? CsvOptions::Auto : value == "yes" ? CsvOptions::Yes : CsvOptions::No;
    else if (key == "skip") {
      DLC_CHECK(integer(o.skipRows));
      if (o.skipRows < 0)
        return Error(spec + ": skip must be >= 0");
    } else if (key == "label")
      DLC_CHECK(integer(o.labelColumn));
    else if (key == "task" && (value == "auto" || value == "classify" || value == "regress"))
      o.task = value == "auto" ? CsvOptions::AutoTask
               : value == "classify" ? CsvOptions::Classify : CsvOptions::Regress;
    else
      return Error(spec + ": unknown CSV option '" + opt +
                   "' (header=auto|yes|no, skip=N, label=COL, task=auto|classify|regress)");
  }
  return o;
}

} // namespace

Dataset Dataset::gather(const std::vector<int64_t> &rows) const {
  Dataset d = *this;
  d.x = gatherRows(x, rows);
  d.y = gatherRows(y, rows);
  return d;
}

Tensor Dataset::features() const { return asFeatures(x, xScale); }

Dataset Dataset::slice(int64_t begin, int64_t end) const {
  std::vector<int64_t> rows;
  for (int64_t i = begin; i < end; ++i)
    rows.push_back(i);
  return gather(rows);
}

Expected<Dataset> readNpyPair(const std::string &xPath, const std::string &yPath) {
  DLC_TRY(x, readNpy(xPath));
  if (x.rank() < 1)
    return Error(xPath + ": features must have a leading example axis, got a scalar");
  Dataset d;
  d.source = xPath;
  d.x = x.dtype() == DType::F32 ? x : x.cast(DType::F32);
  if (yPath.empty())
    return d;
  DLC_TRY(y, readNpy(yPath));
  if (y.rank() < 1 || y.shape()[0] != x.shape()[0])
    return Error(yPath + ": " + (y.rank() < 1 ? std::string("a scalar") : std::to_string(y.shape()[0])) +
                 " labels for " + std::to_string(x.shape()[0]) + " examples in " + xPath);
  d.labelSource = yPath;
  if (isFloat(y.dtype())) {
    d.task = Task::Regression;
    d.y = y.dtype() == DType::F32 ? y : y.cast(DType::F32);
    if (d.y.rank() == 1)
      d.y = d.y.reshaped({d.y.shape()[0], 1});
  } else {
    if (y.rank() != 1)
      return Error(yPath + ": integer labels must be [count], got " + shapeString(y.shape()));
    d.task = Task::Classification;
    d.y = y.cast(DType::I64);
    for (int64_t i = 0; i < d.y.numel(); ++i)
      if (d.y.data<int64_t>()[i] < 0)
        return Error(yPath + ": record " + std::to_string(i) + ": negative label " +
                     std::to_string(d.y.data<int64_t>()[i]));
  }
  return d;
}

Expected<DataSplits> loadData(const std::string &spec) {
  size_t colon = spec.find(':');
  std::string kind = colon == std::string::npos ? "" : spec.substr(0, colon);
  std::string rest = colon == std::string::npos ? spec : spec.substr(colon + 1);
  std::vector<std::string> parts;
  {
    std::stringstream ss(rest);
    std::string p;
    while (std::getline(ss, p, ','))
      parts.push_back(p);
  }
  if (kind == "idx") {
    if (rest.empty())
      return Error("--data=" + spec + ": idx: needs a directory");
    return readIdxDir(rest);
  }
  if (kind == "csv") {
    if (parts.empty() || parts[0].empty())
      return Error("--data=" + spec + ": csv: needs a file");
    DLC_TRY(opts, parseCsvOptions("--data=" + spec,
                                  std::vector<std::string>(parts.begin() + 1, parts.end())));
    DLC_TRY(d, readCsv(parts[0], opts));
    return DataSplits{std::move(d), Dataset()};
  }
  if (kind == "npy") {
    if (parts.empty() || parts.size() > 2 || parts[0].empty())
      return Error("--data=" + spec + ": expected npy:X.npy[,Y.npy]");
    DLC_TRY(d, readNpyPair(parts[0], parts.size() > 1 ? parts[1] : ""));
    return DataSplits{std::move(d), Dataset()};
  }
  return Error("--data=" + spec + ": expected idx:DIR, csv:FILE[,OPTION=VALUE...] or "
               "npy:X.npy[,Y.npy]");
}

Rng::Rng(uint64_t seed) {
  uint64_t x = seed;
  for (uint64_t &w : s_)
    w = splitmix64(x);
}

uint64_t Rng::next() {
  uint64_t result = rotl(s_[1] * 5, 7) * 9;
  uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Rng::below(uint64_t n) {
  DLC_ASSERT(n > 0, "below(0)");
  uint64_t threshold = (0 - n) % n; // 2^64 mod n: values under it are biased
  for (;;) {
    uint64_t r = next();
    if (r >= threshold)
      return r % n;
  }
}

std::string Rng::stateString() const {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%016llx%016llx%016llx%016llx",
                static_cast<unsigned long long>(s_[0]), static_cast<unsigned long long>(s_[1]),
                static_cast<unsigned long long>(s_[2]), static_cast<unsigned long long>(s_[3]));
  return buf;
}

std::optional<std::array<uint64_t, 4>> Rng::parseState(const std::string &s) {
  if (s.size() != 64 || s.find_first_not_of("0123456789abcdef") != std::string::npos)
    return std::nullopt;
  std::array<uint64_t, 4> st;
  for (int i = 0; i < 4; ++i)
    st[i] = std::strtoull(s.substr(16 * i, 16).c_str(), nullptr, 16);
  return st;
}

std::vector<int64_t> permutation(int64_t n, bool shuffle, Rng &rng) {
  std::vector<int64_t> p(n);
  for (int64_t i = 0; i < n; ++i)
    p[i] = i;
  if (shuffle)
    for (int64_t i = n - 1; i > 0; --i)
      std::swap(p[i], p[rng.below(static_cast<uint64_t>(i) + 1)]);
  return p;
}

std::pair<Dataset, Dataset> holdOut(const Dataset &d, double fraction, uint64_t seed) {
  int64_t n = d.size();
  int64_t held = static_cast<int64_t>(std::llround(fraction * n));
  if (held <= 0)
    return {d, Dataset()};
  held = std::min(held, n);
  // A stream of its own, so the split does not move with the data order.
  Rng rng(seed ^ 0x5eed5a1177ull);
  std::vector<int64_t> p = permutation(n, true, rng);
  std::vector<int64_t> rest(p.begin(), p.end() - held), out(p.end() - held, p.end());
  std::sort(rest.begin(), rest.end());
  std::sort(out.begin(), out.end());
  return {d.gather(rest), d.gather(out)};
}

Standardizer Standardizer::fit(const Tensor &x) {
  Standardizer s;
  int64_t n = x.shape()[0];
  int64_t f = n ? x.numel() / n : 0;
  s.mean.assign(f, 0.0);
  s.std.assign(f, 1.0);
  if (!n)
    return s;
  std::vector<double> m2(f, 0.0);
  const float *p = x.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < f; ++j)
      s.mean[j] += p[i * f + j];
  for (double &m : s.mean)
    m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < f; ++j) {
      double d = p[i * f + j] - s.mean[j];
      m2[j] += d * d;
    }
  for (int64_t j = 0; j < f; ++j) {
    double sd = std::sqrt(m2[j] / static_cast<double>(n));
    s.std[j] = sd > 1e-12 ? sd : 1.0;
  }
  return s;
}

Expected<Tensor> Standardizer::apply(const Tensor &x) const {
  int64_t n = x.rank() ? x.shape()[0] : 0;
  int64_t f = n ? x.numel() / n : static_cast<int64_t>(mean.size());
  if (f != static_cast<int64_t>(mean.size()))
    return Error("standardization statistics are for " + std::to_string(mean.size()) +
                 " features, the data has " + std::to_string(f));
  Tensor out(DType::F32, x.shape());
  const float *p = x.data<float>();
  float *q = out.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < f; ++j)
      q[i * f + j] = static_cast<float>((p[i * f + j] - mean[j]) / std[j]);
  return out;
}

Batch makeBatch(const Dataset &d, const std::vector<int64_t> &order, int64_t begin,
                int64_t end) {
  std::vector<int64_t> rows(order.begin() + begin, order.begin() + end);
  return {asFeatures(gatherRows(d.x, rows), d.xScale), gatherRows(d.y, rows)};
}

int64_t numBatches(int64_t n, int64_t batch, bool dropLast) {
  return dropLast ? n / batch : (n + batch - 1) / batch;
}

} // namespace dlrt
