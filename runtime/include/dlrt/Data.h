// Data sets for training and evaluation: readers for IDX, CSV and .npy files,
// and a Dataset of examples with seeded shuffling, batching, validation splits
// and feature standardization. Part of the runtime (library dlrt_data): no
// compiler, no Halide.
//
// Tensors: features are f32 [n, ...] (CSV rows are [n, columns]), except
// IDX images of bytes, which stay u8 [n, 1, rows, cols] in memory and become
// f32 in [0, 1] per batch (makeBatch, Dataset::features); labels are i64 [n]
// class indices for classification and f32 [n, k] (k = 1 for CSV) for
// regression.
// Errors name the file and the record (IDX, .npy) or line:column (CSV).
//
// Data specs, as `dlrun --data=` takes them:
//   idx:DIR                   DIR/{train,t10k}-{images,labels}-idx?-ubyte[.gz]
//   csv:FILE[,OPT=V...]       header=auto|yes|no, skip=ROWS, label=COL (0-based,
//                             negative from the end; default -1, the last),
//                             task=auto|classify|regress
//   npy:X.npy,Y.npy           features and labels (Y optional for prediction)
#pragma once

#include "dlrt/Error.h"
#include "dlrt/Tensor.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlrt {

enum class Task { Classification, Regression };

// Examples: x [n, ...] f32 and y [n] i64 or [n, k] f32 (y empty: unlabeled).
struct Dataset {
  Tensor x, y;
  double xScale = 1; // the features are x * xScale as f32 (u8 images: 1 / 255)
  Task task = Task::Regression;
  std::vector<std::string> classNames; // CSV string labels, index order
  std::string source;      // the features' file, for messages
  std::string labelSource; // the labels' file (the same for CSV)

  int64_t size() const { return x.empty() ? 0 : x.shape()[0]; }
  bool labeled() const { return !y.empty(); }
  // Examples [rows[0], rows[1], ...] in that order.
  Dataset gather(const std::vector<int64_t> &rows) const;
  Dataset slice(int64_t begin, int64_t end) const;
  // Every example's features as f32 (x * xScale).
  Tensor features() const;
};

// A data set's splits. `test` is empty when the source has none.
struct DataSplits {
  Dataset train, test;
};

// IDX (LeCun's MNIST format), gzipped or not (detected from the bytes). Any of
// the IDX element types; returned as stored (u8, i8, i16 -> i32, i32, f32, f64).
Expected<Tensor> readIdx(const std::string &path);
// An image file and a label file: images to [n, 1, rows, cols] (u8 kept
// with xScale 1 / 255, other types as f32), labels to i64 [n]; the counts
// must agree.
Expected<Dataset> readIdxPair(const std::string &images, const std::string &labels);
// DIR's train-* and t10k-* files (either .gz or not).
Expected<DataSplits> readIdxDir(const std::string &dir);

struct CsvOptions {
  enum Header { Auto, Yes, No } header = Auto;
  int64_t skipRows = 0;    // lines dropped before the header or data
  int64_t labelColumn = -1; // negative: from the end
  enum TaskKind { AutoTask, Classify, Regress } task = AutoTask;
};
// Auto header: the first row is a header when a feature field is not a number.
// Auto task: classification when some label is not a number (labels then map
// to indices in sorted order), regression otherwise.
Expected<Dataset> readCsv(const std::string &path, const CsvOptions &opts);

// Features from X.npy (any float or integer dtype, as f32), labels from Y.npy
// (integer: classification as i64; float: regression as f32).
Expected<Dataset> readNpyPair(const std::string &xPath, const std::string &yPath);

// Parses and reads a data spec (above).
Expected<DataSplits> loadData(const std::string &spec);

// Reproducible random numbers (xoshiro256**, seeded through splitmix64): the
// same seed gives the same sequence on every machine, and the state can be
// saved and restored (checkpoints keep the data order's RNG).
class Rng {
public:
  explicit Rng(uint64_t seed = 0);
  uint64_t next();
  uint64_t below(uint64_t n); // uniform in [0, n), unbiased
  std::array<uint64_t, 4> state() const { return s_; }
  void setState(const std::array<uint64_t, 4> &s) { s_ = s; }
  std::string stateString() const; // 4 hex words
  static std::optional<std::array<uint64_t, 4>> parseState(const std::string &s);

private:
  std::array<uint64_t, 4> s_;
};

// 0..n-1, shuffled (Fisher-Yates) with rng when shuffle is set.
std::vector<int64_t> permutation(int64_t n, bool shuffle, Rng &rng);

// Splits off a fraction of the examples (shuffled with seed) as a second set:
// {rest, held out}. fraction 0 holds out nothing.
std::pair<Dataset, Dataset> holdOut(const Dataset &d, double fraction, uint64_t seed);

// Per-feature mean and standard deviation (population), from one split and
// applied to every split. Features with zero spread keep std 1.
struct Standardizer {
  std::vector<double> mean, std;
  bool empty() const { return mean.empty(); }
  static Standardizer fit(const Tensor &x);
  // Returns standardized f32 features; the feature count must match.
  Expected<Tensor> apply(const Tensor &x) const;
};

// Batches [begin, end) of an order over a data set: y gathered, x gathered
// as f32 features (x * xScale).
struct Batch {
  Tensor x, y;
  int64_t size() const { return x.shape()[0]; }
};
Batch makeBatch(const Dataset &d, const std::vector<int64_t> &order, int64_t begin,
                int64_t end);
// Batch boundaries over n examples: full batches, then the partial last one
// unless dropLast.
int64_t numBatches(int64_t n, int64_t batch, bool dropLast);

} // namespace dlrt
