// IDX files (the MNIST family's format), gzipped or plain, and the Fashion-
// MNIST directory layout. Every header field and length is checked against
// the bytes actually present before anything is read.
#include "dlrt/Data.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <sys/stat.h>

namespace dlrt {

namespace {

// A file read front to back through zlib: gzip is inflated, a plain file read
// as it is. Reading straight into the destination keeps a data set's bytes in
// memory once (Fashion-MNIST's training images are 47 MB).
class GzReader {
public:
  explicit GzReader(std::string path) : path_(std::move(path)) {}
  ~GzReader() {
    if (f_)
      gzclose(f_);
  }
  Status open() {
    struct stat st;
    if (stat(path_.c_str(), &st) != 0)
      return Error(path_ + ": cannot open file: " + std::strerror(errno));
    if (S_ISDIR(st.st_mode))
      return Error(path_ + ": is a directory");
    f_ = gzopen(path_.c_str(), "rb");
    if (!f_)
      return Error(path_ + ": cannot open file");
    gzbuffer(f_, 1 << 17);
    return Status::ok();
  }
  // Up to n bytes into dst; fewer only at the end of the data.
  Expected<size_t> read(void *dst, size_t n) {
    size_t got = 0;
    while (got < n) {
      unsigned chunk = static_cast<unsigned>(std::min<size_t>(n - got, 1u << 30));
      int r = gzread(f_, static_cast<char *>(dst) + got, chunk);
      if (r < 0) {
        int code = 0;
        return Error(path_ + ": corrupt gzip data: " + gzerror(f_, &code));
      }
      if (r == 0)
        break;
      got += static_cast<size_t>(r);
    }
    return got;
  }
  // Reads what is left (so the gzip trailer's checksum is verified) and
  // closes. A truncated gzip stream reads as a short file without an error
  // from gzread on some zlib versions; gzclose reports it. Called before any
  // complaint about the contents, so a cut download is named as such.
  Status finish() {
    char buf[1 << 14];
    for (;;) {
      DLC_TRY(n, read(buf, sizeof buf));
      if (n == 0)
        break;
    }
    int rc = gzclose(f_);
    f_ = nullptr;
    if (rc == Z_BUF_ERROR)
      return Error(path_ + ": truncated gzip data");
    if (rc != Z_OK)
      return Error(path_ + ": corrupt gzip data");
    return Status::ok();
  }

private:
  std::string path_;
  gzFile f_ = nullptr;
};

uint32_t be32(const unsigned char *b) {
  return uint32_t(b[0]) << 24 | uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | uint32_t(b[3]);
}

} // namespace

Expected<Tensor> readIdx(const std::string &path) {
  GzReader in(path);
  DLC_CHECK(in.open());
  unsigned char head[4 + 4 * 255];
  DLC_TRY(got, in.read(head, 4));
  if (got < 4 || head[0] != 0 || head[1] != 0) {
    DLC_CHECK(in.finish());
    return Error(path + ": not an IDX file (bad magic)");
  }
  unsigned char code = head[2];
  int rank = head[3];
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
  DLC_TRY(dimBytes, in.read(head + 4, 4 * static_cast<size_t>(rank)));
  if (dimBytes < 4 * static_cast<size_t>(rank)) {
    DLC_CHECK(in.finish());
    return Error(path + ": truncated IDX header");
  }
  std::vector<int64_t> shape;
  uint64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    shape.push_back(be32(head + 4 + 4 * i));
    count *= static_cast<uint64_t>(shape.back());
    if (count > (uint64_t(1) << 40))
      return Error(path + ": IDX dimensions too large");
  }
  // Elements land in the tensor as stored, then widen or turn endianness in
  // place: i16 is read into the upper half of the i32 buffer.
  Tensor t(dtype, shape);
  size_t need = count * elem;
  char *raw = static_cast<char *>(t.raw());
  char *dst = code == 0x0B ? raw + t.byteSize() - need : raw;
  DLC_TRY(have, need ? in.read(dst, need) : Expected<size_t>(size_t(0)));
  DLC_CHECK(in.finish());
  if (have < need) {
    int64_t perRecord = shape[0] ? static_cast<int64_t>(count / shape[0]) : 1;
    int64_t complete = static_cast<int64_t>(have / elem) / std::max<int64_t>(perRecord, 1);
    return Error(path + ": record " + std::to_string(complete) + ": truncated (the header says " +
                 std::to_string(shape[0]) + " records, the data holds " +
                 std::to_string(complete) + ")");
  }
  if (elem > 1) {
    // Big-endian to host (little-endian).
    const auto *q = reinterpret_cast<const unsigned char *>(dst);
    for (uint64_t i = 0; i < count; ++i, q += elem) {
      if (code == 0x0B) { // i32 i (bytes 4i..4i+3) stays below i16 i+1 (2n+2i+2)
        t.data<int32_t>()[i] = static_cast<int16_t>(q[0] << 8 | q[1]);
        continue;
      }
      unsigned char le[8];
      for (size_t k = 0; k < elem; ++k)
        le[k] = q[elem - 1 - k];
      std::memcpy(raw + i * elem, le, elem);
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
  // Bytes stay bytes (a quarter of f32's memory); batches scale them.
  if (img.dtype() == DType::U8) {
    d.x = img.reshaped(shape);
    d.xScale = 1.0 / 255.0;
  } else {
    d.x = img.cast(DType::F32).reshaped(shape);
  }
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
