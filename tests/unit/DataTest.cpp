// The data library: IDX, CSV and .npy readers (on files written here, and on
// the real Fashion-MNIST and scikit-learn data sets where installed), their
// errors, the reproducible RNG, splits, standardization and batching.
#include "dlrt/Data.h"
#include "dlrt/Npy.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

using namespace dlrt;
namespace fs = std::filesystem;

namespace {

const char *kFashion = "/usr/share/datasets/fashion-mnist";
const char *kSklearn = "/usr/lib/python3/dist-packages/sklearn/datasets/data";

class DataTest : public ::testing::Test {
protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dlc-datatest-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string &name, const std::string &bytes) {
    std::string p = (dir_ / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  fs::path dir_;
};

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
          static_cast<char>(v)};
}

// IDX of unsigned bytes with the given dims; values i % 256.
std::string idxBytes(const std::vector<uint32_t> &dims, size_t keep = SIZE_MAX) {
  std::string s{0, 0, 0x08, static_cast<char>(dims.size())};
  size_t n = 1;
  for (uint32_t d : dims) {
    s += be32(d);
    n *= d;
  }
  for (size_t i = 0; i < n && i < keep; ++i)
    s += static_cast<char>(i % 256);
  return s;
}

std::string errorOf(const Expected<Dataset> &d) { return d ? "" : d.error().message(); }

} // namespace

TEST_F(DataTest, IdxPlainAndGzipped) {
  std::string images = write("img", idxBytes({3, 2, 2}));
  std::string labels = write("lab", idxBytes({3}));
  auto d = readIdxPair(images, labels);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->x.shape(), (std::vector<int64_t>{3, 1, 2, 2}));
  EXPECT_EQ(d->x.dtype(), DType::U8); // bytes stay bytes in memory
  Tensor f = d->features();
  EXPECT_EQ(f.dtype(), DType::F32);
  EXPECT_EQ(f.data<float>()[5], static_cast<float>(5 / 255.0));
  // A batch converts its rows as features() converts the whole set.
  Batch b = makeBatch(*d, {2, 1}, 0, 2);
  EXPECT_EQ(b.x.dtype(), DType::F32);
  EXPECT_EQ(b.x.shape(), (std::vector<int64_t>{2, 1, 2, 2}));
  EXPECT_EQ(b.x.data<float>()[1], f.data<float>()[9]);
  EXPECT_EQ(b.x.data<float>()[7], f.data<float>()[7]);
  EXPECT_EQ(d->y.dtype(), DType::I64);
  EXPECT_EQ(d->y.data<int64_t>()[2], 2);
  EXPECT_EQ(d->task, Task::Classification);
  if (std::system(("gzip -k " + images + " 2>/dev/null").c_str()) != 0)
    GTEST_SKIP() << "no gzip";
  auto gz = readIdx(images + ".gz");
  ASSERT_TRUE(gz) << gz.error().message();
  EXPECT_EQ(gz->shape(), (std::vector<int64_t>{3, 2, 2}));
  EXPECT_EQ(gz->data<uint8_t>()[11], 11);
}

TEST_F(DataTest, IdxOtherElementTypes) {
  // i32 big-endian, two records of two.
  std::string s{0, 0, 0x0C, 2};
  s += be32(2) + be32(2) + be32(1) + be32(0xfffffffe) + be32(70000) + be32(3);
  auto t = readIdx(write("i32", s));
  ASSERT_TRUE(t) << t.error().message();
  EXPECT_EQ(t->dtype(), DType::I32);
  EXPECT_EQ(t->data<int32_t>()[1], -2);
  EXPECT_EQ(t->data<int32_t>()[2], 70000);
  // i16 widens to i32 (in the tensor's own buffer) and f64 turns endianness.
  std::string h{0, 0, 0x0B, 1};
  h += be32(3) + std::string{'\x80', 0, 0, 5, '\x7f', '\xff'};
  auto w = readIdx(write("i16", h));
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->dtype(), DType::I32);
  EXPECT_EQ(w->data<int32_t>()[0], -32768);
  EXPECT_EQ(w->data<int32_t>()[1], 5);
  EXPECT_EQ(w->data<int32_t>()[2], 32767);
  std::string f{0, 0, 0x0E, 1};
  f += be32(2) + std::string{'\x3f', '\xf8', 0, 0, 0, 0, 0, 0, '\xc0', 0, 0, 0, 0, 0, 0, 0};
  auto d = readIdx(write("f64", f));
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->data<double>()[0], 1.5);
  EXPECT_EQ(d->data<double>()[1], -2.0);
}

TEST_F(DataTest, IdxErrors) {
  auto missing = readIdx((dir_ / "nope").string());
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("nope: cannot open file"), std::string::npos);

  auto magic = readIdx(write("magic", "hello world"));
  ASSERT_FALSE(magic);
  EXPECT_NE(magic.error().message().find("not an IDX file"), std::string::npos);

  // 4 records of 4 bytes promised, 2.5 present.
  auto cut = readIdx(write("cut", idxBytes({4, 2, 2}, 10)));
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().message().find("cut: record 2: truncated"), std::string::npos)
      << cut.error().message();

  auto header = readIdx(write("hdr", std::string{0, 0, 0x08, 3, 0, 0}));
  ASSERT_FALSE(header);
  EXPECT_NE(header.error().message().find("truncated IDX header"), std::string::npos);

  std::string img = write("img", idxBytes({3, 2, 2}));
  std::string lab = write("lab", idxBytes({2}));
  EXPECT_NE(errorOf(readIdxPair(img, lab)).find("2 labels for 3 images"), std::string::npos);

  auto dir = readIdxDir((dir_ / "empty").string());
  ASSERT_FALSE(dir);
  EXPECT_NE(dir.error().message().find("no such directory"), std::string::npos);
}

TEST_F(DataTest, IdxDirectoryFindsSplits) {
  write("train-images-idx3-ubyte", idxBytes({5, 2, 2}));
  write("train-labels-idx1-ubyte", idxBytes({5}));
  write("t10k-images-idx3-ubyte", idxBytes({2, 2, 2}));
  write("t10k-labels-idx1-ubyte", idxBytes({2}));
  auto s = loadData("idx:" + dir_.string());
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->train.size(), 5);
  EXPECT_EQ(s->test.size(), 2);
}

TEST_F(DataTest, FashionMnist) {
  if (!fs::exists(kFashion))
    GTEST_SKIP() << kFashion << " is not installed (dataset-fashion-mnist)";
  auto s = readIdxDir(kFashion);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->train.x.shape(), (std::vector<int64_t>{60000, 1, 28, 28}));
  EXPECT_EQ(s->test.x.shape(), (std::vector<int64_t>{10000, 1, 28, 28}));
  std::vector<int64_t> counts(10, 0);
  for (int64_t i = 0; i < s->train.size(); ++i) {
    int64_t v = s->train.y.data<int64_t>()[i];
    ASSERT_TRUE(v >= 0 && v < 10);
    ++counts[v];
  }
  for (int64_t c : counts)
    EXPECT_EQ(c, 6000); // Fashion-MNIST is balanced
  Tensor x = s->test.features();
  float lo = 1, hi = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    lo = std::min(lo, x.data<float>()[i]);
    hi = std::max(hi, x.data<float>()[i]);
  }
  EXPECT_EQ(lo, 0.0f);
  EXPECT_EQ(hi, 1.0f);
}

TEST_F(DataTest, CsvHeaderSkipLabelColumn) {
  std::string p = write("a.csv", "3,2,junk\n"
                                 "label,f1,f2\n"
                                 "cat,1.5,2\n"
                                 "dog,-3,4e1\r\n"
                                 "cat,\"5\",6\n"
                                 "\n");
  CsvOptions o;
  o.skipRows = 1;
  o.labelColumn = 0;
  auto d = readCsv(p, o);
  ASSERT_TRUE(d) << d.error().message();
  EXPECT_EQ(d->x.shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_FLOAT_EQ(d->x.data<float>()[3], 40.0f);
  EXPECT_FLOAT_EQ(d->x.data<float>()[4], 5.0f);
  EXPECT_EQ(d->task, Task::Classification);
  EXPECT_EQ(d->classNames, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(d->y.data<int64_t>()[1], 1);
  EXPECT_EQ(d->y.data<int64_t>()[2], 0);

  // No header, numeric labels: regression, unless asked to classify.
  std::string q = write("b.csv", "1,2,0\n3,4,2\n");
  auto r = readCsv(q, CsvOptions());
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->task, Task::Regression);
  EXPECT_EQ(r->y.shape(), (std::vector<int64_t>{2, 1}));
  CsvOptions c;
  c.task = CsvOptions::Classify;
  auto k = readCsv(q, c);
  ASSERT_TRUE(k) << k.error().message();
  EXPECT_EQ(k->task, Task::Classification);
  EXPECT_EQ(k->y.data<int64_t>()[1], 2);
}

TEST_F(DataTest, CsvErrorsNameLineAndColumn) {
  std::string p = write("bad.csv", "a,b,y\n1,2,0\n3,4\n");
  auto d = readCsv(p, CsvOptions());
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message().find("bad.csv:3:3: 2 fields, expected 3"), std::string::npos)
      << d.error().message();

  std::string q = write("nan.csv", "1,2,0\n3,x4,1\n");
  auto e = readCsv(q, CsvOptions());
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("nan.csv:2:3: 'x4' is not a number"), std::string::npos)
      << e.error().message();

  std::string r = write("empty.csv", "1,,0\n");
  CsvOptions noHeader;
  noHeader.header = CsvOptions::No;
  auto f = readCsv(r, noHeader);
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().message().find("empty.csv:1:3: empty field is not a number"),
            std::string::npos)
      << f.error().message();

  CsvOptions classify;
  classify.task = CsvOptions::Classify;
  auto g = readCsv(write("frac.csv", "1,0.5\n"), classify);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().message().find("is not a class index"), std::string::npos);

  EXPECT_FALSE(readCsv((dir_ / "missing.csv").string(), CsvOptions()));
  EXPECT_FALSE(loadData("csv:" + p + ",bogus=1"));
  EXPECT_FALSE(loadData("tsv:" + p));
}

TEST_F(DataTest, SklearnCsvFiles) {
  fs::path base(kSklearn);
  if (!fs::exists(base / "iris.csv"))
    GTEST_SKIP() << kSklearn << " is not installed (python3-sklearn)";
  // boston: a count row, then a header, then 506 rows of 13 features + MEDV.
  auto boston = loadData("csv:" + (base / "boston_house_prices.csv").string() + ",skip=1");
  ASSERT_TRUE(boston) << boston.error().message();
  EXPECT_EQ(boston->train.x.shape(), (std::vector<int64_t>{506, 13}));
  EXPECT_EQ(boston->train.task, Task::Regression);
  EXPECT_FLOAT_EQ(boston->train.y.data<float>()[0], 24.0f);
  // iris: a count row with class names, then 150 rows of 4 features + class.
  auto iris = loadData("csv:" + (base / "iris.csv").string() + ",skip=1,task=classify");
  ASSERT_TRUE(iris) << iris.error().message();
  EXPECT_EQ(iris->train.x.shape(), (std::vector<int64_t>{150, 4}));
  std::set<int64_t> classes;
  for (int64_t i = 0; i < 150; ++i)
    classes.insert(iris->train.y.data<int64_t>()[i]);
  EXPECT_EQ(classes, (std::set<int64_t>{0, 1, 2}));
  auto cancer = loadData("csv:" + (base / "breast_cancer.csv").string() +
                         ",skip=1,header=no,task=classify");
  ASSERT_TRUE(cancer) << cancer.error().message();
  EXPECT_EQ(cancer->train.x.shape(), (std::vector<int64_t>{569, 30}));
}

TEST_F(DataTest, NpyPairs) {
  std::string x = (dir_ / "x.npy").string(), y = (dir_ / "y.npy").string();
  ASSERT_TRUE(writeNpy(x, Tensor::fromVector(DType::F64, {3, 2}, {1, 2, 3, 4, 5, 6})));
  ASSERT_TRUE(writeNpy(y, Tensor::fromVector(DType::I32, {3}, {0, 2, 1})));
  auto s = loadData("npy:" + x + "," + y);
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->train.x.dtype(), DType::F32);
  EXPECT_EQ(s->train.task, Task::Classification);
  EXPECT_EQ(s->train.y.data<int64_t>()[1], 2);
  ASSERT_TRUE(writeNpy(y, Tensor::fromVector(DType::I64, {2}, {0, 1})));
  auto bad = loadData("npy:" + x + "," + y);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("2 labels for 3 examples"), std::string::npos);
  ASSERT_TRUE(writeNpy(y, Tensor::fromVector(DType::F32, {3}, {0.5, 1, 2})));
  auto reg = loadData("npy:" + x + "," + y);
  ASSERT_TRUE(reg);
  EXPECT_EQ(reg->train.y.shape(), (std::vector<int64_t>{3, 1}));
  auto unlabeled = loadData("npy:" + x);
  ASSERT_TRUE(unlabeled);
  EXPECT_FALSE(unlabeled->train.labeled());
  std::ofstream(dir_ / "corrupt.npy") << "\x93NUMPY garbage";
  EXPECT_FALSE(loadData("npy:" + (dir_ / "corrupt.npy").string()));
}

TEST(RngTest, ReproducibleAndRestorable) {
  Rng a(42), b(42), c(43);
  std::vector<uint64_t> sa, sb;
  for (int i = 0; i < 8; ++i) {
    sa.push_back(a.next());
    sb.push_back(b.next());
  }
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa[0], c.next());
  auto saved = a.stateString();
  uint64_t next = a.next();
  Rng d;
  auto st = Rng::parseState(saved);
  ASSERT_TRUE(st);
  d.setState(*st);
  EXPECT_EQ(d.next(), next);
  EXPECT_FALSE(Rng::parseState("xyz"));
  for (int i = 0; i < 1000; ++i)
    EXPECT_LT(a.below(7), 7u);
}

TEST(RngTest, PermutationsAndSplits) {
  Rng r(1);
  auto p = permutation(100, true, r);
  std::set<int64_t> seen(p.begin(), p.end());
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_NE(p, permutation(100, false, r));
  Rng r2(1);
  EXPECT_EQ(p, permutation(100, true, r2));

  Dataset d;
  d.x = Tensor(DType::F32, {10, 2});
  d.y = Tensor(DType::I64, {10});
  for (int64_t i = 0; i < 10; ++i) {
    d.x.data<float>()[2 * i] = static_cast<float>(i);
    d.y.data<int64_t>()[i] = i;
  }
  auto [train, val] = holdOut(d, 0.3, 7);
  EXPECT_EQ(train.size(), 7);
  EXPECT_EQ(val.size(), 3);
  std::set<int64_t> all;
  for (const Dataset *s : {&train, &val})
    for (int64_t i = 0; i < s->size(); ++i) {
      all.insert(s->y.data<int64_t>()[i]);
      EXPECT_EQ(s->x.data<float>()[2 * i], s->y.data<int64_t>()[i]); // rows stay whole
    }
  EXPECT_EQ(all.size(), 10u);
  auto again = holdOut(d, 0.3, 7);
  EXPECT_TRUE(again.second.y.sameBytes(val.y));
  EXPECT_EQ(holdOut(d, 0, 7).second.size(), 0);
}

TEST(StandardizerTest, TrainStatisticsApplied) {
  Tensor x = Tensor::fromVector(DType::F32, {4, 2}, {1, 5, 2, 5, 3, 5, 4, 5});
  Standardizer s = Standardizer::fit(x);
  EXPECT_DOUBLE_EQ(s.mean[0], 2.5);
  EXPECT_DOUBLE_EQ(s.std[0], std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(s.std[1], 1.0); // constant feature: left unscaled
  auto y = s.apply(x);
  ASSERT_TRUE(y);
  double sum = 0;
  for (int i = 0; i < 4; ++i)
    sum += y->data<float>()[2 * i];
  EXPECT_NEAR(sum, 0, 1e-6);
  EXPECT_FLOAT_EQ(y->data<float>()[1], 0.0f);
  // Test data uses the training statistics.
  auto t = s.apply(Tensor::fromVector(DType::F32, {1, 2}, {2.5, 6}));
  ASSERT_TRUE(t);
  EXPECT_FLOAT_EQ(t->data<float>()[0], 0.0f);
  EXPECT_FLOAT_EQ(t->data<float>()[1], 1.0f);
  EXPECT_FALSE(s.apply(Tensor(DType::F32, {1, 3})));
}

TEST(BatchTest, PartialLastBatch) {
  EXPECT_EQ(numBatches(10, 4, false), 3);
  EXPECT_EQ(numBatches(10, 4, true), 2);
  EXPECT_EQ(numBatches(8, 4, false), 2);
  Dataset d;
  d.x = Tensor::fromVector(DType::F32, {5, 1}, {0, 1, 2, 3, 4});
  d.y = Tensor::fromVector(DType::I64, {5}, {0, 1, 2, 3, 4});
  std::vector<int64_t> order{4, 3, 2, 1, 0};
  Batch b = makeBatch(d, order, 4, 5);
  EXPECT_EQ(b.size(), 1);
  EXPECT_EQ(b.y.data<int64_t>()[0], 0);
  Batch c = makeBatch(d, order, 0, 2);
  EXPECT_FLOAT_EQ(c.x.data<float>()[1], 3.0f);
}
