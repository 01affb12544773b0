// `dlrun export`: a trained model as a standard ONNX file. The artifact
// carries the model as ONNX (manifest key "onnx", dlrt/Artifact.h): the
// original file when dlc compiled an .onnx, the inference graph exported by
// dlc when it compiled a .dlg. Export replaces each of its initializers that
// holds a parameter or a BatchNorm statistic with the checkpoint's value
// and, when the checkpoint holds feature standardization statistics, puts
// x -> (x - mean) / std in front of the feature input (computed in f64 and
// cast back to f32, as dlrun does), so the exported model takes raw features
// and predicts what `dlrun predict` does. The file is written atomically.
//
// Refused, naming the files and tensors: an artifact without an embedded ONNX
// model, a checkpoint of another model, a checkpoint tensor without an
// initializer or an initializer without its checkpoint tensor, and dtype or
// shape disagreements between the two. Lives in dlrt_export, which links the
// ONNX protobuf library (never the compiler).
#pragma once

#include "dlrt/Error.h"
#include "dlrt/Train.h"

#include <iosfwd>

namespace dlrt {

// Uses o.model, o.weights and o.output (the .onnx to write).
Status exportModel(const RunOptions &o, std::ostream &out);

} // namespace dlrt
