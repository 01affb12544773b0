// safetensors checkpoints: the byte layout (little-endian length, JSON header
// padded to 8 bytes, contiguous data in file order), round trips of every
// dtype with metadata, every corrupt-header case refused without a crash, and
// atomic writes that leave the previous file intact on failure.
#include "dlrt/File.h"
#include "dlrt/Train.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

using namespace dlrt;
namespace fs = std::filesystem;

namespace {

Checkpoint sample() {
  Checkpoint c;
  c.tensors.emplace_back("w", Tensor::fromVector(DType::F32, {2, 3}, {1, 2, 3, 4, 5, 6}));
  c.tensors.emplace_back("b", Tensor::fromVector(DType::F64, {2}, {0.5, -1}));
  c.tensors.emplace_back("step", Tensor::scalar(DType::I64, 7));
  c.tensors.emplace_back("mask", Tensor::fromVector(DType::Bool, {3}, {1, 0, 1}));
  c.tensors.emplace_back("h", Tensor::fromVector(DType::F16, {1}, {1.5}));
  c.metadata["dlrun.epoch"] = "3";
  return c;
}

// A file with a hand-written header and n data bytes.
std::string withHeader(const std::string &header, size_t n) {
  std::string out(8, '\0');
  uint64_t len = header.size();
  std::memcpy(out.data(), &len, 8);
  return out + header + std::string(n, '\0');
}

} // namespace

TEST(CheckpointTest, LayoutAndRoundTrip) {
  std::string bytes = serializeSafetensors(sample());
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + n + 24 + 16 + 8 + 3 + 2);
  EXPECT_EQ(bytes[8], '{');
  auto c = parseSafetensors(bytes, "x");
  ASSERT_TRUE(c) << c.error().message();
  ASSERT_EQ(c->tensors.size(), 5u);
  EXPECT_EQ(c->tensors[0].first, "w"); // file order kept
  for (auto &[name, t] : sample().tensors) {
    const Tensor *r = c->find(name);
    ASSERT_TRUE(r) << name;
    EXPECT_EQ(r->shape(), t.shape());
    EXPECT_TRUE(r->sameBytes(t)) << name;
  }
  EXPECT_EQ(c->metadata.at("dlrun.epoch"), "3");
}

TEST(CheckpointTest, CorruptFilesAreRefused) {
  auto bad = [](const std::string &bytes) {
    auto c = parseSafetensors(bytes, "ck");
    return c ? std::string() : c.error().message();
  };
  EXPECT_NE(bad("abc").find("too short"), std::string::npos);
  EXPECT_NE(bad(std::string(8, '\xff')).find("exceeds the file"), std::string::npos);
  EXPECT_NE(bad(withHeader("{not json", 0)).find("corrupt safetensors header"), std::string::npos);
  EXPECT_NE(bad(withHeader("[1, 2]", 0)).find("not a JSON object"), std::string::npos);
  EXPECT_NE(bad(withHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 8))
                .find("data offsets do not fit"),
            std::string::npos);
  EXPECT_NE(bad(withHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4))
                .find("data offsets do not fit"),
            std::string::npos);
  EXPECT_NE(bad(withHeader(R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8))
                .find("unsupported dtype"),
            std::string::npos);
  EXPECT_NE(bad(withHeader(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8))
                .find("bad shape"),
            std::string::npos);
  EXPECT_NE(bad(withHeader(R"({"a":{"dtype":"F32"}})", 8)).find("corrupt safetensors header"),
            std::string::npos);
  EXPECT_NE(bad(withHeader(R"({"__metadata__":{"k":1}})", 0)).find("is not a string"),
            std::string::npos);
  // Every truncation of a good file is refused or read consistently, never a crash.
  std::string good = serializeSafetensors(sample());
  for (size_t cut = 0; cut < good.size(); ++cut)
    EXPECT_FALSE(parseSafetensors(good.substr(0, cut), "ck")) << cut;
}

TEST(CheckpointTest, AtomicWriteKeepsThePreviousFile) {
  fs::path dir = fs::temp_directory_path() / ("dlc-ckpt-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::string path = (dir / "last.safetensors").string();
  ASSERT_TRUE(writeFileAtomic(path, "first"));
  ASSERT_TRUE(writeFileAtomic(path, "second"));
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "second");
  // A destination that cannot be replaced (a non-empty directory): the write
  // fails with a message and leaves no temporary file behind.
  fs::create_directories(dir / "busy" / "x");
  Status s = writeFileAtomic((dir / "busy").string(), "data");
  EXPECT_FALSE(s);
  size_t files = 0;
  for (auto &e : fs::directory_iterator(dir))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  auto c = readSafetensors((dir / "missing.safetensors").string());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message().find("cannot open checkpoint"), std::string::npos);
  fs::remove_all(dir);
}
