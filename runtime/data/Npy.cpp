// NumPy .npy reading and writing.
#include "dlrt/Npy.h"

#include "dlrt/File.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unistd.h>

namespace dlrt {

static const char *descrOf(DType t) {
  switch (t) {
  case DType::F32: return "<f4";
  case DType::F64: return "<f8";
  case DType::F16: return "<f2";
  case DType::I64: return "<i8";
  case DType::I32: return "<i4";
  case DType::I8: return "|i1";
  case DType::U8: return "|u1";
  case DType::Bool: return "|b1";
  }
  return "";
}

static std::optional<DType> dtypeOfDescr(const std::string &d) {
  for (DType t : {DType::F32, DType::F64, DType::F16, DType::I64, DType::I32,
                  DType::I8, DType::U8, DType::Bool}) {
    std::string want = descrOf(t);
    // '|' and '<' are interchangeable for one-byte types; '=' means native (LE).
    if (d == want || (d.size() == 3 && (d[0] == '|' || d[0] == '=' || d[0] == '<') &&
                      d.substr(1) == want.substr(1)))
      return t;
  }
  return std::nullopt;
}

// Value of `'key': value` in the header dict, up to the next ',' or '}' at depth 0.
static std::optional<std::string> headerField(const std::string &h,
                                              const std::string &key) {
  size_t k = h.find("'" + key + "'");
  if (k == std::string::npos)
    return std::nullopt;
  size_t colon = h.find(':', k);
  if (colon == std::string::npos)
    return std::nullopt;
  size_t i = colon + 1, depth = 0, start = i;
  for (; i < h.size(); ++i) {
    char c = h[i];
    if (c == '(')
      ++depth;
    else if (c == ')') {
      if (depth == 0)
        break;
      --depth;
    } else if ((c == ',' || c == '}') && depth == 0)
      break;
  }
  std::string v = h.substr(start, i - start);
  size_t a = v.find_first_not_of(" \t"), b = v.find_last_not_of(" \t");
  return a == std::string::npos ? "" : v.substr(a, b - a + 1);
}

Expected<Tensor> parseNpy(const std::string &bytes, const std::string &name) {
  auto fail = [&](const std::string &m) { return Error(name + ": " + m); };
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return fail("not a .npy file (bad magic)");
  uint8_t major = bytes[6];
  size_t hlen, off;
  if (major == 1) {
    hlen = uint8_t(bytes[8]) | (uint8_t(bytes[9]) << 8);
    off = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return fail("truncated header");
    hlen = 0;
    for (int i = 0; i < 4; ++i)
      hlen |= size_t(uint8_t(bytes[8 + i])) << (8 * i);
    off = 12;
  } else {
    return fail("unsupported .npy version " + std::to_string(major));
  }
  if (bytes.size() < off + hlen)
    return fail("truncated header");
  std::string h = bytes.substr(off, hlen);
  auto descr = headerField(h, "descr"), fortran = headerField(h, "fortran_order"),
       shapeStr = headerField(h, "shape");
  if (!descr || !fortran || !shapeStr)
    return fail("malformed header");
  std::string d = *descr;
  if (d.size() >= 2 && (d.front() == '\'' || d.front() == '"'))
    d = d.substr(1, d.size() - 2);
  auto dtype = dtypeOfDescr(d);
  if (!dtype)
    return fail("unsupported dtype '" + d + "'");
  if (*fortran != "False")
    return fail("fortran-ordered arrays are not supported");
  std::vector<int64_t> shape;
  std::string s = *shapeStr;
  if (s.size() < 2 || s.front() != '(' || s.back() != ')')
    return fail("malformed shape");
  std::stringstream ss(s.substr(1, s.size() - 2));
  std::string item;
  int64_t count = 1;
  while (std::getline(ss, item, ',')) {
    size_t a = item.find_first_not_of(" ");
    if (a == std::string::npos)
      continue;
    char *end = nullptr;
    long long v = std::strtoll(item.c_str() + a, &end, 10);
    if (v < 0 || (end && *end && *end != ' ' && *end != 'L'))
      return fail("malformed shape");
    if (v > 0 && count > (int64_t(1) << 40) / v)
      return fail("shape too large");
    count *= v;
    shape.push_back(v);
  }
  Tensor t(*dtype, shape);
  size_t dataOff = off + hlen;
  if (bytes.size() - dataOff != t.byteSize())
    return fail("data has " + std::to_string(bytes.size() - dataOff) +
                " bytes, shape " + shapeString(shape) + " needs " +
                std::to_string(t.byteSize()));
  if (t.byteSize())
    std::memcpy(t.raw(), bytes.data() + dataOff, t.byteSize());
  return t;
}

Expected<Tensor> readNpy(const std::string &path) {
  DLC_TRY(bytes, readFile(path));
  return parseNpy(bytes, path);
}

std::string serializeNpy(const Tensor &t) {
  std::string shape = "(";
  for (int64_t d : t.shape())
    shape += std::to_string(d) + ", ";
  if (t.rank() >= 2)
    shape.erase(shape.size() - 2);
  else if (t.rank() == 1)
    shape.erase(shape.size() - 1);
  shape += ")";
  std::string h = std::string("{'descr': '") + descrOf(t.dtype()) +
                  "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + h.size() + 1;
  h.append((64 - total % 64) % 64, ' ');
  h += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(h.size() & 0xff);
  out += char(h.size() >> 8);
  out += h;
  out.append(static_cast<const char *>(t.raw()), t.byteSize());
  return out;
}

Status writeNpy(const std::string &path, const Tensor &t) {
  return writeFileAtomic(path, serializeNpy(t));
}

} // namespace dlrt
