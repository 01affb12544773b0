"""Writes shared_bn.onnx into DIR: x[N, 4] -> Gemm -> BatchNorm -> Relu ->
BatchNorm -> logits[N, 3], with its initializers merged the way PyTorch's
exporter merges equal tensors: both BatchNorms take one `ones` tensor as
scale and running variance (through Identity nodes) and one `zeros` tensor as
shift and running mean. dlc trains a running statistic per BatchNorm; an
export must give each its own initializer."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(0)
inits = [numpy_helper.from_array(rng.normal(0, 0.5, (3, 4)).astype(np.float32), "fc.weight"),
         numpy_helper.from_array(np.ones(3, np.float32), "ones"),
         numpy_helper.from_array(np.zeros(3, np.float32), "zeros")]
nodes = [helper.make_node("Identity", ["ones"], ["bn1.running_var"], name="alias1"),
         helper.make_node("Identity", ["zeros"], ["bn2.running_mean"], name="alias2"),
         helper.make_node("Gemm", ["x", "fc.weight"], ["fc"], name="fc", transB=1),
         helper.make_node("BatchNormalization", ["fc", "ones", "zeros", "zeros", "bn1.running_var"],
                          ["bn1"], name="bn1"),
         helper.make_node("Relu", ["bn1"], ["relu"], name="relu"),
         helper.make_node("BatchNormalization", ["relu", "ones", "zeros", "bn2.running_mean", "ones"],
                          ["logits"], name="bn2")]
graph = helper.make_graph(nodes, "shared_bn",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
                          inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, os.path.join(sys.argv[1], "shared_bn.onnx"))
