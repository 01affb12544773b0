// IDX files (the MNIST family's format), gzipped or plain, and the Fashion-
// MNIST directory layout. Every header field and length is checked against
// the bytes actually present before anything is read.
#include "dlrt/Data.h"

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <sys/stat.h>

namespace dlrt {

namespace {

// The whole file, inflated when it is gzip (zlib reads plain files as they are).
Expected<std::string> readMaybeGzip(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return Error(path + ": cannot open file: " + std::strerror(errno));
  if (S_ISDIR(st.st_mode))
    return Error(path + ": is a directory");
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f)
    return Error(path + ": cannot open file");
  gzbuffer(f, 1 << 17);
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      int code = 0;
      std::string msg = gzerror(f, &code);
      gzclose(f);
      return Error(path + ": corrupt gzip data: " + msg);
    }
    if (n == 0)
      break;
    bytes.append(buf, n);
  }
  // A truncated gzip stream reads as a short file without an error from gzread
  // on some zlib versions; gzclose reports it.
  int rc = gzclose(f);
  if (rc != Z_OK && rc != Z_BUF_ERROR)
    return Error(path + ": corrupt gzip data");
  if (rc == Z_BUF_ERROR)
    return Error(path + ": truncated gzip data");
  return bytes;
}

uint32_t be32(const std::string &b, size_t at) {
  auto u = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(b[at + i])); };
  return u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
}

} // namespace

Expected<Tensor> readIdx(const std::string &path) {
  DLC_TRY(bytes, readMaybeGzip(path));
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    return Error(path + ": not an IDX file (bad magic)");
  unsigned char code = static_cast<unsigned char>(bytes[2]);
  int rank = static_cast<unsigned char>(bytes[3]);
  DType dtype;
  size_t elem;
  switch (code) {
  case 0x08: dtype = DType::U8, elem = 1; break;
  case 0x09: dtype = DType::I8, elem = 1; break;
  case 0x0B: dtype = DType::I32, elem = 2; break; // i16, widened
  case 0x0C: dtype = DType::I32, elem = 4; break;
  case 0x0D: dtype = DType::F32, elem = 4; break;
  case 0x0E: dtype = DType::F64, elem = 8; break;
  default:
    return Error(path + ": not an IDX file (unknown element type 0x" +
                 [&] {
                   char h[3];
                   std::snprintf(h, sizeof h, "%02x", code);
                   return std::string(h);
                 }() +
                 ")");
  }
  if (rank < 1)
    return Error(path + ": IDX file with no dimensions");
  size_t headerSize = 4 + 4 * static_cast<size_t>(rank);
  if (bytes.size() < headerSize)
    return Error(path + ": truncated IDX header");
  std::vector<int64_t> shape;
  uint64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    shape.push_back(be32(bytes, 4 + 4 * i));
    count *= static_cast<uint64_t>(shape.back());
    if (count > (uint64_t(1) << 40))
      return Error(path + ": IDX dimensions too large");
  }
  uint64_t need = count * elem;
  if (bytes.size() - headerSize < need) {
    int64_t perRecord = shape[0] ? static_cast<int64_t>(count / shape[0]) : 1;
    int64_t complete = static_cast<int64_t>((bytes.size() - headerSize) / elem) /
                       std::max<int64_t>(perRecord, 1);
    return Error(path + ": record " + std::to_string(complete) + ": truncated (the header says " +
                 std::to_string(shape[0]) + " records, the data holds " +
                 std::to_string(complete) + ")");
  }
  Tensor t(dtype, shape);
  const unsigned char *p = reinterpret_cast<const unsigned char *>(bytes.data()) + headerSize;
  if (elem == 1) {
    std::memcpy(t.raw(), p, count);
  } else {
    // Big-endian to host (little-endian).
    for (uint64_t i = 0; i < count; ++i) {
      const unsigned char *q = p + i * elem;
      if (code == 0x0B) {
        t.data<int32_t>()[i] = static_cast<int16_t>(q[0] << 8 | q[1]);
        continue;
      }
      unsigned char le[8];
      for (size_t k = 0; k < elem; ++k)
        le[k] = q[elem - 1 - k];
      std::memcpy(static_cast<char *>(t.raw()) + i * elem, le, elem);
    }
  }
  return t;
}

Expected<Dataset> readIdxPair(const std::string &images, const std::string &labels) {
  DLC_TRY(img, readIdx(images));
  DLC_TRY(lab, readIdx(labels));
  if (img.rank() != 3 && img.rank() != 4)
    return Error(images + ": expected images [count, rows, cols], got " +
                 shapeString(img.shape()));
  if (lab.rank() != 1)
    return Error(labels + ": expected labels [count], got " + shapeString(lab.shape()));
  if (img.shape()[0] != lab.shape()[0])
    return Error(labels + ": " + std::to_string(lab.shape()[0]) + " labels for " +
                 std::to_string(img.shape()[0]) + " images in " + images);
  Dataset d;
  d.source = images;
  d.labelSource = labels;
  d.task = Task::Classification;
  std::vector<int64_t> shape = img.shape();
  if (shape.size() == 3)
    shape.insert(shape.begin() + 1, 1);
  d.x = Tensor(DType::F32, shape);
  float *x = d.x.data<float>();
  int64_t n = img.numel();
  double scale = img.dtype() == DType::U8 ? 1.0 / 255.0 : 1.0;
  for (int64_t i = 0; i < n; ++i)
    x[i] = static_cast<float>(img.getDouble(i) * scale);
  d.y = Tensor(DType::I64, {lab.shape()[0]});
  for (int64_t i = 0; i < lab.numel(); ++i) {
    if (isFloat(lab.dtype()))
      return Error(labels + ": labels must be integers, the file holds " +
                   std::string(dtypeName(lab.dtype())));
    int64_t v = lab.getInt(i);
    if (v < 0)
      return Error(labels + ": record " + std::to_string(i) + ": negative label " +
                   std::to_string(v));
    d.y.data<int64_t>()[i] = v;
  }
  return d;
}

Expected<DataSplits> readIdxDir(const std::string &dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return Error(dir + ": no such directory (idx: wants a directory holding "
                       "train-images-idx3-ubyte[.gz] and the like)");
  auto find = [&](const std::string &stem) -> Expected<std::string> {
    for (const char *suffix : {".gz", ""}) {
      fs::path p = fs::path(dir) / (stem + suffix);
      if (fs::exists(p, ec))
        return p.string();
    }
    return Error(dir + ": no " + stem + " or " + stem + ".gz");
  };
  DataSplits s;
  DLC_TRY(trainImages, find("train-images-idx3-ubyte"));
  DLC_TRY(trainLabels, find("train-labels-idx1-ubyte"));
  DLC_TRY(train, readIdxPair(trainImages, trainLabels));
  s.train = std::move(train);
  auto testImages = find("t10k-images-idx3-ubyte");
  auto testLabels = find("t10k-labels-idx1-ubyte");
  if (testImages && testLabels) {
    DLC_TRY(test, readIdxPair(*testImages, *testLabels));
    s.test = std::move(test);
  }
  return s;
}

} // namespace dlrt
