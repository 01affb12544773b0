// The dlc runtime: loads a compiled .dlm artifact and runs its entry points.
// It links no compiler, no libHalide and no LLVM: kernels arrive compiled in
// the artifact.
//
//   auto model = dlrt::Model::load("lenet5.dlm");            // verified first
//   auto out = (*model)->run("infer", {{"x", images}});       // by input name
//   (*model)->run("train", {{"x", x}, {"label", y},
//                            {"lr", Tensor::scalar(F32, 0.01)}, {"step", ...}});
//   Tensor w = *(*model)->value("conv1.weight");
//
// Entry points: "train" (one optimizer step; outputs `loss` then the model's
// outputs; updates parameters and optimizer state in place), "eval" (loss and
// outputs, Dropout off, BatchNorm on running statistics), "infer" (outputs).
// Inputs are checked against the entry's signature (dtype, rank, static dims,
// consistent symbolic dims) before anything runs. A Model is not thread-safe;
// kernels use up to numThreads() threads.
#pragma once

#include "dlrt/Error.h"
#include "dlrt/Tensor.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace dlrt {

struct TensorSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> dims; // -1 for a symbolic dim
  std::vector<std::string> symbols; // the symbol's name where dims[i] == -1
  std::string str() const;          // "x: f32[N, 1, 28, 28]"
};

class Model {
public:
  // Reads and verifies an artifact (magic, version, size, checksum, CPU
  // features) before loading its code.
  static Expected<std::unique_ptr<Model>> load(const std::string &path);
  ~Model();

  std::vector<std::string> entries() const;
  Expected<std::vector<TensorSpec>> inputs(const std::string &entry) const;
  Expected<std::vector<TensorSpec>> outputs(const std::string &entry) const;

  Expected<std::vector<Tensor>> run(const std::string &entry,
                                    const std::map<std::string, Tensor> &inputs);

  // Parameters, states (optimizer moments, BatchNorm statistics) and
  // constants by name.
  std::vector<TensorSpec> values() const;
  bool isTrainable(const std::string &name) const;
  // Constants (named "entry/name") are values no checkpoint holds; a
  // parameter's or state's name may contain '/' too (ONNX node names do).
  bool isConstant(const std::string &name) const;
  Expected<Tensor> value(const std::string &name) const;
  Status setValue(const std::string &name, const Tensor &t);

  // The model as ONNX that dlc embedded for `dlrun export`: a serialized
  // ModelProto (the original file when compiled from .onnx, one exported
  // from the graph when compiled from .dlg), and the names of its
  // initializers that hold the model's parameters and states. Read from the
  // file on demand (a loaded model does not keep it in memory); an error for
  // an artifact without one (compiled before dlc embedded it).
  struct EmbeddedOnnx {
    std::string bytes;
    std::string source; // "onnx" or "dlg"
    std::vector<std::string> initializers;
    // Values that need an initializer of their own (dlrt/Artifact.h:
    // "bindings"): input `input` of the node whose first output is
    // `nodeOutput`.
    struct Binding {
      std::string value, nodeOutput;
      int input = 0;
    };
    std::vector<Binding> bindings;
  };
  Expected<EmbeddedOnnx> embeddedOnnx() const;

  // The training settings dlc compiled the train entry with (manifest
  // "train"): what dlrun trains with unless its flags say otherwise. Absent
  // (present == false) in artifacts without a train entry or from a dlc
  // that did not record them.
  struct TrainSettings {
    bool present = false;
    std::string optimizer;               // sgd, adam, ...
    double lr = 0;                       // the learning rate (dlc --lr, else the default)
    std::map<std::string, double> args;  // hyper-parameters given, torch.optim's names
    std::string lrSchedule;              // dlrt/LrSchedule.h syntax; "" = constant
  };
  const TrainSettings &trainSettings() const;

  const std::string &target() const;
  void setNumThreads(int n);
  int numThreads() const;

  struct Impl;

private:
  explicit Model(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace dlrt
