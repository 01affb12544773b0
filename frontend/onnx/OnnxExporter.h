// IR -> ONNX: writes a graph as an ONNX ModelProto (opset 17), so a model
// written in .dlg can leave dlc as a standard file (`dlc m.dlg --emit=onnx`,
// and the model dlc embeds in a .dlm for `dlrun export`).
//
// Params and states (BatchNorm running statistics) become initializers under
// their IR names, with their values (initializer specs materialized);
// constants and attributes that ONNX takes as inputs (Reshape's shape, Clip's
// bounds, Slice's starts, ...) become Constant nodes, so the initializers are
// exactly the tensors a checkpoint holds. Symbolic dims become dim_params;
// a Reshape or Expand target with a symbolic dim is written as ONNX's 0 / -1
// (Reshape) or 1 (Expand) against the input's same dim. Only forward ops in
// inference form export (BatchNorm and Dropout with training=0); gradient
// ops, training-mode nodes and attributes opset 17 cannot express (Pad's
// wrap mode) are errors naming the node.
#pragma once

#include "ir/IR.h"

#include <string>

namespace dlc {

// A serialized onnx.ModelProto.
Expected<std::string> exportOnnx(const Graph &g);

// The ONNX file at `path` as one self-contained ModelProto: its bytes as they
// are, or, when initializers keep their data in external files, re-serialized
// with that data inline (the artifact that embeds it travels alone).
Expected<std::string> selfContainedOnnx(const std::string &path);

} // namespace dlc
