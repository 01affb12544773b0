"""Builds the small ONNX models of the frontend's lit tests, by name.

    make_model.py NAME            writes the serialized ModelProto to stdout
    make_model.py NAME DIR        writes DIR/model.onnx (and any external data
                                  files beside it) and prints nothing
    make_model.py --list          lists the names

Each model exercises one importer feature; the lit files FileCheck the IR that
`dlc MODEL.onnx --emit=ir` prints. Run with Debian's /usr/bin/python3 (which
sees python3-onnx); lit substitutes it as %python.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT
I64 = TensorProto.INT64
MODELS = {}


def model(fn):
    MODELS[fn.__name__] = fn
    return fn


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def make(nodes, inputs, outputs, inits=(), opset=13, name="g"):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def weights(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(
        rng.standard_normal(shape).astype(np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def unary(op, shape=("N", 4), opset=13, **attrs):
    return make([helper.make_node(op, ["x"], ["y"], name=op.lower(), **attrs)],
                [vi("x", F, list(shape))], [vi("y", F, None)], opset=opset)


def binary(op, a=("N", 4), b=(4,), elem=F, opset=13):
    return make([helper.make_node(op, ["a", "b"], ["y"], name=op.lower())],
                [vi("a", elem, list(a)), vi("b", elem, list(b))],
                [vi("y", elem, None)], opset=opset)


# --- element-wise ------------------------------------------------------------

for _op in ["Relu", "Sigmoid", "Tanh", "Neg", "Abs", "Exp", "Log", "Sqrt",
            "Reciprocal", "Floor", "Ceil", "Erf", "Sin", "Cos", "Sign",
            "Round", "Softplus", "Softsign", "Identity"]:
    MODELS["unary_" + _op.lower()] = (lambda op: lambda: unary(op))(_op)
for _op in ["Add", "Sub", "Mul", "Div", "Pow"]:
    MODELS["binary_" + _op.lower()] = (lambda op: lambda: binary(op))(_op)
for _op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
    MODELS["compare_" + _op.lower()] = (
        lambda op: lambda: binary(op, opset=16))(_op)
for _op in ["And", "Or", "Xor"]:
    MODELS["logical_" + _op.lower()] = (
        lambda op: lambda: binary(op, elem=TensorProto.BOOL))(_op)


@model
def logical_not():
    return make([helper.make_node("Not", ["x"], ["y"], name="not")],
                [vi("x", TensorProto.BOOL, [2, 3])],
                [vi("y", TensorProto.BOOL, None)])


@model
def pow_int_exponent():
    return make([helper.make_node("Pow", ["x", "e"], ["y"], name="pow")],
                [vi("x", F, [2, 3])], [vi("y", F, None)],
                [ints("e", [2])])


@model
def leaky_relu():
    return unary("LeakyRelu", alpha=0.01)


@model
def elu():
    return unary("Elu", alpha=0.5)


@model
def selu():
    return unary("Selu")


@model
def hard_sigmoid():
    return unary("HardSigmoid", alpha=0.25)


@model
def hard_swish():
    return unary("HardSwish", opset=14)


@model
def prelu():
    slope = numpy_helper.from_array(
        np.full((3, 1, 1), 0.25, np.float32), "slope")
    return make([helper.make_node("PRelu", ["x", "slope"], ["y"], name="prelu")],
                [vi("x", F, ["N", 3, 8, 8])], [vi("y", F, None)], [slope])


@model
def variadic_sum():
    return make([helper.make_node("Sum", ["a", "b", "c"], ["y"], name="sum")],
                [vi(n, F, [2, 3]) for n in "abc"], [vi("y", F, None)])


@model
def variadic_mean():
    return make([helper.make_node("Mean", ["a", "b", "c"], ["y"], name="mean")],
                [vi(n, F, [2, 3]) for n in "abc"], [vi("y", F, None)])


@model
def variadic_max_min():
    return make([helper.make_node("Max", ["a", "b", "c"], ["m"], name="max"),
                 helper.make_node("Min", ["m", "a"], ["y"], name="min")],
                [vi(n, F, [2, 3]) for n in "abc"], [vi("y", F, None)])


@model
def clip_relu6():
    return make([helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="relu6")],
                [vi("x", F, ["N", 4])], [vi("y", F, None)],
                [numpy_helper.from_array(np.array(0, np.float32), "lo"),
                 numpy_helper.from_array(np.array(6, np.float32), "hi")])


@model
def clip_attrs_opset10():
    return unary("Clip", opset=10, min=-1.5, max=0.1)


@model
def clip_max_only():
    return make([helper.make_node("Clip", ["x", "", "hi"], ["y"], name="clip")],
                [vi("x", F, ["N", 4])], [vi("y", F, None)],
                [numpy_helper.from_array(np.array(0.1, np.float32), "hi")])


@model
def clip_dynamic_min():
    return make([helper.make_node("Clip", ["x", "lo"], ["y"], name="clip")],
                [vi("x", F, ["N", 4]), vi("lo", F, [])], [vi("y", F, None)])


@model
def cast():
    return make([helper.make_node("Cast", ["x"], ["y"], name="cast", to=I64)],
                [vi("x", F, [2, 3])], [vi("y", I64, None)])


@model
def cast_unsupported():
    return make([helper.make_node("Cast", ["x"], ["y"], name="cast",
                                  to=TensorProto.BFLOAT16)],
                [vi("x", F, [2, 3])], [vi("y", TensorProto.BFLOAT16, None)])


@model
def where():
    return make([helper.make_node("Where", ["c", "a", "b"], ["y"], name="where")],
                [vi("c", TensorProto.BOOL, [2, 1]), vi("a", F, [2, 3]),
                 vi("b", F, [3])], [vi("y", F, None)])


@model
def mod():
    return make([helper.make_node("Mod", ["a", "b"], ["y"], name="mod", fmod=1)],
                [vi("a", F, [4]), vi("b", F, [4])], [vi("y", F, None)])


# --- layers ------------------------------------------------------------------

def conv_model(opset=13, wshape=(8, 3, 3, 3), xshape=("N", 3, 32, 32), bias=True,
               **attrs):
    inits = [weights("w", wshape)]
    ins = ["x", "w"]
    if bias:
        inits.append(weights("b", (wshape[0],), 1))
        ins.append("b")
    return make([helper.make_node("Conv", ins, ["y"], name="conv1", **attrs)],
                [vi("x", F, list(xshape))], [vi("y", F, None)], inits, opset)


@model
def conv_pads():
    return conv_model(pads=[1, 1, 1, 1])


@model
def conv_stride_dilation_group():
    return conv_model(wshape=(6, 1, 3, 3), strides=[2, 2], dilations=[2, 2],
                      group=3, bias=False)


@model
def conv_same_upper():
    return conv_model(wshape=(4, 3, 4, 4), strides=[2, 2], auto_pad="SAME_UPPER")


@model
def conv_same_lower():
    return conv_model(wshape=(4, 3, 4, 4), strides=[2, 2], auto_pad="SAME_LOWER")


@model
def conv_valid():
    return conv_model(auto_pad="VALID")


@model
def conv_1d():
    return conv_model(wshape=(4, 3, 5), xshape=("N", 3, 20), pads=[2, 2])


@model
def conv_bad_channels():
    return conv_model(wshape=(8, 4, 3, 3))


@model
def conv_transpose():
    return make([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up",
                                  strides=[2, 2], pads=[1, 1, 1, 1],
                                  output_padding=[1, 1])],
                [vi("x", F, ["N", 4, 8, 8])], [vi("y", F, None)],
                [weights("w", (4, 2, 3, 3))])


@model
def conv_transpose_output_shape():
    return make([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up",
                                  strides=[3, 2], output_shape=[10, 8])],
                [vi("x", F, [1, 1, 3, 3])], [vi("y", F, None)],
                [weights("w", (1, 2, 3, 3))])


@model
def conv_transpose_same_upper():
    return make([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up",
                                  strides=[2, 2], auto_pad="SAME_UPPER")],
                [vi("x", F, [1, 1, 3, 3])], [vi("y", F, None)],
                [weights("w", (1, 2, 3, 3))])


@model
def gemm_default():
    return make([helper.make_node("Gemm", ["a", "w", "c"], ["y"], name="fc")],
                [vi("a", F, ["N", 4])], [vi("y", F, None)],
                [weights("w", (4, 3)), weights("c", (3,), 1)])


@model
def gemm_alpha_beta_trans():
    return make([helper.make_node("Gemm", ["a", "w", "c"], ["y"], name="fc",
                                  alpha=0.5, beta=2.0, transB=1)],
                [vi("a", F, ["N", 4])], [vi("y", F, None)],
                [weights("w", (3, 4)), weights("c", (3,), 1)])


@model
def gemm_no_c():
    return make([helper.make_node("Gemm", ["a", "b"], ["y"], name="fc",
                                  transA=1, alpha=0.25)],
                [vi("a", F, [4, 2]), vi("b", F, [4, 3])], [vi("y", F, None)])


@model
def matmul_batched():
    return make([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
                [vi("a", F, ["N", 2, 3, 4]), vi("b", F, [4, 5])],
                [vi("y", F, None)])


@model
def matmul_mismatch():
    return make([helper.make_node("MatMul", ["a", "b"], ["y"], name="mm")],
                [vi("a", F, [2, 3]), vi("b", F, [4, 5])], [vi("y", F, None)])


@model
def maxpool():
    return unary("MaxPool", shape=("N", 3, 32, 32), kernel_shape=[3, 3],
                 strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1,
                 dilations=[1, 1])


@model
def maxpool_same():
    return unary("MaxPool", shape=("N", 3, 7, 7), kernel_shape=[2, 2],
                 strides=[2, 2], auto_pad="SAME_UPPER")


@model
def maxpool_indices():
    return make([helper.make_node("MaxPool", ["x"], ["y", "idx"], name="pool",
                                  kernel_shape=[2, 2])],
                [vi("x", F, [1, 1, 4, 4])], [vi("y", F, None), vi("idx", I64, None)])


@model
def avgpool():
    return unary("AveragePool", shape=("N", 3, 32, 32), kernel_shape=[3, 3],
                 strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)


@model
def global_pools():
    return make([helper.make_node("GlobalAveragePool", ["x"], ["a"], name="gap"),
                 helper.make_node("GlobalMaxPool", ["x"], ["m"], name="gmp")],
                [vi("x", F, ["N", 8, 7, 7])], [vi("a", F, None), vi("m", F, None)])


def bn_inits():
    return [weights(n, (3,), i) for i, n in enumerate(["s", "bias", "mean"])] + [
        numpy_helper.from_array(np.ones(3, np.float32), "var")]


@model
def batchnorm_inference():
    return make([helper.make_node("BatchNormalization",
                                  ["x", "s", "bias", "mean", "var"], ["y"],
                                  name="bn", epsilon=1e-3)],
                [vi("x", F, ["N", 3, 8, 8])], [vi("y", F, None)], bn_inits(), 15)


@model
def batchnorm_training_opset15():
    return make([helper.make_node("BatchNormalization",
                                  ["x", "s", "bias", "mean", "var"],
                                  ["y", "rm", "rv"], name="bn", momentum=0.99,
                                  training_mode=1)],
                [vi("x", F, ["N", 3, 8, 8])],
                [vi("y", F, None), vi("rm", F, None), vi("rv", F, None)],
                bn_inits(), 15)


@model
def batchnorm_training_opset9():
    return make([helper.make_node("BatchNormalization",
                                  ["x", "s", "bias", "mean", "var"],
                                  ["y", "rm", "rv", "sm", "sv"], name="bn")],
                [vi("x", F, ["N", 3, 8, 8])],
                [vi("y", F, None), vi("rm", F, None), vi("rv", F, None)],
                bn_inits(), 9)


@model
def batchnorm_saved_mean_used():
    return make([helper.make_node("BatchNormalization",
                                  ["x", "s", "bias", "mean", "var"],
                                  ["y", "rm", "rv", "sm", "sv"], name="bn")],
                [vi("x", F, ["N", 3, 8, 8])],
                [vi("y", F, None), vi("sm", F, None)], bn_inits(), 9)


@model
def dropout_opset10():
    return unary("Dropout", opset=10, ratio=0.25)


@model
def dropout_training():
    return make([helper.make_node("Dropout", ["x", "r", "t"], ["y", "mask"],
                                  name="drop", seed=7)],
                [vi("x", F, ["N", 4])],
                [vi("y", F, None), vi("mask", TensorProto.BOOL, None)],
                [numpy_helper.from_array(np.array(0.3, np.float32), "r"),
                 numpy_helper.from_array(np.array(True), "t")])


@model
def softmax_opset13():
    return unary("Softmax", shape=("N", 3, 4), axis=1)


@model
def softmax_opset11_coerce():
    return unary("Softmax", shape=("N", 3, 4), opset=11, axis=1)


@model
def softmax_opset11_last():
    return unary("LogSoftmax", shape=("N", 10), opset=11)


@model
def logsoftmax():
    return unary("LogSoftmax", shape=("N", 10))


# --- shapes and data movement ------------------------------------------------

@model
def flatten():
    return unary("Flatten", shape=("N", 3, 4, 4))


@model
def flatten_axis0():
    return unary("Flatten", shape=(2, 3, 4), axis=0)


@model
def reshape_zero_minus1():
    return make([helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
                [vi("x", F, ["N", 3, 4, 4])], [vi("y", F, None)],
                [ints("s", [0, -1])])


@model
def reshape_static():
    return make([helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
                [vi("x", F, [2, 3, 4])], [vi("y", F, None)],
                [ints("s", [4, 0, -1])])


@model
def reshape_dynamic_shape():
    return make([helper.make_node("Reshape", ["x", "s"], ["y"], name="r")],
                [vi("x", F, [2, 3]), vi("s", I64, [2])], [vi("y", F, None)])


@model
def shape_chain():
    # The PyTorch export of x.view(x.size(0), -1).
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Constant", [], ["i0"], name="c0",
                         value=numpy_helper.from_array(np.array(0, np.int64))),
        helper.make_node("Gather", ["s", "i0"], ["n"], name="gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="unsq"),
        helper.make_node("Constant", [], ["m1"], name="c1", value_ints=[-1]),
        helper.make_node("Concat", ["n1", "m1"], ["shape"], name="cat", axis=0),
        helper.make_node("Reshape", ["x", "shape"], ["y"], name="view"),
    ]
    return make(nodes, [vi("x", F, ["N", 3, 4, 4])], [vi("y", F, None)],
                [ints("ax", [0])])


@model
def shape_chain_slice_cast():
    # [N, 3, H*W] from Shape(end=) (opset 15), Slice, Cast and Mul of dims.
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Slice", ["s", "i2", "i3"], ["h"], name="slice_h"),
        helper.make_node("Slice", ["s", "i3", "i4"], ["w"], name="slice_w"),
        helper.make_node("Cast", ["h"], ["h32"], name="cast",
                         to=TensorProto.INT32),
        helper.make_node("Cast", ["h32"], ["h64"], name="cast_back", to=I64),
        helper.make_node("Mul", ["h64", "w"], ["hw"], name="mul"),
        helper.make_node("Shape", ["x"], ["lead"], name="shape2", end=2),
        helper.make_node("Concat", ["lead", "hw"], ["t"], name="cat", axis=0),
        helper.make_node("Reshape", ["x", "t"], ["y"], name="r"),
    ]
    return make(nodes, [vi("x", F, ["N", 3, 4, 5])], [vi("y", F, None)],
                [ints("i2", [2]), ints("i3", [3]), ints("i4", [4])], opset=15)


@model
def shape_output():
    return make([helper.make_node("Shape", ["x"], ["s"], name="shape")],
                [vi("x", F, ["N", 3])], [vi("s", I64, None)])


@model
def shape_static_output():
    return make([helper.make_node("Shape", ["x"], ["s"], name="shape"),
                 helper.make_node("Size", ["x"], ["n"], name="size")],
                [vi("x", F, [2, 3])], [vi("s", I64, None), vi("n", I64, None)])


@model
def constant_forms():
    t = numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3))
    nodes = [
        helper.make_node("Constant", [], ["c"], name="c", value=t),
        helper.make_node("Constant", [], ["f"], name="f", value_float=0.01),
        helper.make_node("Constant", [], ["fs"], name="fs", value_floats=[1.5, 2]),
        helper.make_node("Constant", [], ["i"], name="i", value_int=3),
        helper.make_node("Constant", [], ["is"], name="is", value_ints=[1, 2, 3]),
        helper.make_node("Add", ["x", "c"], ["y1"], name="add"),
        helper.make_node("Mul", ["y1", "f"], ["y"], name="mul"),
    ]
    return make(nodes, [vi("x", F, [2, 3])],
                [vi("y", F, None), vi("fs", F, None), vi("i", I64, None),
                 vi("is", I64, None)])


@model
def constant_of_shape_range():
    nodes = [
        helper.make_node("ConstantOfShape", ["s"], ["z"], name="cos",
                         value=numpy_helper.from_array(np.array([2], np.float32))),
        helper.make_node("Range", ["r0", "r1", "r2"], ["r"], name="range"),
        helper.make_node("Cast", ["r"], ["rf"], name="cast", to=F),
        helper.make_node("Add", ["x", "z"], ["a"], name="add"),
        helper.make_node("Add", ["a", "rf"], ["y"], name="add2"),
    ]
    return make(nodes, [vi("x", F, [2, 3])], [vi("y", F, None)],
                [ints("s", [2, 3]),
                 numpy_helper.from_array(np.array(0, np.int64), "r0"),
                 numpy_helper.from_array(np.array(6, np.int64), "r1"),
                 numpy_helper.from_array(np.array(2, np.int64), "r2")])


@model
def transpose():
    return unary("Transpose", shape=("N", 3, 4), perm=[0, 2, 1])


@model
def concat():
    return make([helper.make_node("Concat", ["a", "b"], ["y"], name="cat", axis=1)],
                [vi("a", F, ["N", 3]), vi("b", F, ["N", 5])], [vi("y", F, None)])


@model
def split_opset11():
    return make([helper.make_node("Split", ["x"], ["a", "b"], name="split",
                                  axis=1, split=[1, 3])],
                [vi("x", F, ["N", 4])], [vi("a", F, None), vi("b", F, None)],
                opset=11)


@model
def split_opset13():
    return make([helper.make_node("Split", ["x", "sp"], ["a", "b"], name="split",
                                  axis=1)],
                [vi("x", F, ["N", 4])], [vi("a", F, None), vi("b", F, None)],
                [ints("sp", [3, 1])])


@model
def split_even():
    return make([helper.make_node("Split", ["x"], ["a", "b"], name="split",
                                  axis=1)],
                [vi("x", F, ["N", 4])], [vi("a", F, None), vi("b", F, None)])


@model
def slice_opset13():
    return make([helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"],
                                  name="slice")],
                [vi("x", F, ["N", 10, 8])], [vi("y", F, None)],
                [ints("st", [1, -1]), ints("en", [9, 0]), ints("ax", [1, 2]),
                 ints("sp", [2, -2])])


@model
def slice_opset9():
    return unary("Slice", shape=(4, 6), opset=9, starts=[1], ends=[1000],
                 axes=[1])


@model
def pad_opset13():
    return make([helper.make_node("Pad", ["x", "p", "v"], ["y"], name="pad",
                                  mode="constant")],
                [vi("x", F, ["N", 3, 4, 4])], [vi("y", F, None)],
                [ints("p", [0, 0, 1, 2, 0, 0, 1, 2]),
                 numpy_helper.from_array(np.array(0.5, np.float32), "v")])


@model
def pad_reflect():
    return make([helper.make_node("Pad", ["x", "p"], ["y"], name="pad",
                                  mode="reflect")],
                [vi("x", F, [1, 3, 4, 4])], [vi("y", F, None)],
                [ints("p", [0, 0, 1, 1, 0, 0, 1, 1])])


@model
def pad_edge_wrap():
    return make([helper.make_node("Pad", ["x", "p"], ["e"], name="edge",
                                  mode="edge"),
                 helper.make_node("Pad", ["x", "p"], ["w"], name="wrap",
                                  mode="wrap")],
                [vi("x", F, [1, 3, 4, 4])], [vi("e", F, None), vi("w", F, None)],
                [ints("p", [0, 0, 1, 1, 0, 0, 1, 1])])


@model
def pad_opset2_style():
    return unary("Pad", shape=(2, 3), opset=10, pads=[1, 0, 1, 0], value=1.5)


@model
def squeeze_unsqueeze_opset13():
    return make([helper.make_node("Unsqueeze", ["x", "ax"], ["u"], name="unsq"),
                 helper.make_node("Squeeze", ["u", "ax2"], ["y"], name="sq")],
                [vi("x", F, ["N", 3])], [vi("y", F, None)],
                [ints("ax", [1, -1]), ints("ax2", [3])])


@model
def squeeze_unsqueeze_opset11():
    return make([helper.make_node("Unsqueeze", ["x"], ["u"], name="unsq",
                                  axes=[0]),
                 helper.make_node("Squeeze", ["u"], ["y"], name="sq")],
                [vi("x", F, [3, 1, 2])], [vi("y", F, None)], opset=11)


@model
def expand():
    return make([helper.make_node("Expand", ["x", "s"], ["y"], name="expand")],
                [vi("x", F, [3, 1])], [vi("y", F, None)], [ints("s", [2, 3, 4])])


@model
def tile():
    return make([helper.make_node("Tile", ["x", "r"], ["y"], name="tile")],
                [vi("x", F, [2, 3])], [vi("y", F, None)], [ints("r", [2, 1])])


@model
def gather():
    return make([helper.make_node("Gather", ["emb", "idx"], ["y"], name="gather",
                                  axis=0)],
                [vi("idx", I64, ["N", 5])], [vi("y", F, None)],
                [weights("emb", (10, 4))])


# --- reductions --------------------------------------------------------------

@model
def reduce_sum_opset13():
    return make([helper.make_node("ReduceSum", ["x", "ax"], ["y"], name="rs",
                                  keepdims=0)],
                [vi("x", F, ["N", 3, 4])], [vi("y", F, None)], [ints("ax", [1, 2])])


@model
def reduce_sum_noop():
    return make([helper.make_node("ReduceSum", ["x"], ["y"], name="rs",
                                  noop_with_empty_axes=1)],
                [vi("x", F, ["N", 3])], [vi("y", F, None)])


@model
def reduce_attrs():
    nodes = [helper.make_node(op, ["x"], [op.lower()], name=op.lower(),
                              axes=[-1])
             for op in ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"]]
    nodes.append(helper.make_node("ReduceSum", ["x"], ["reducesum"], name="rs",
                                  axes=[1], keepdims=0))
    return make(nodes, [vi("x", F, ["N", 3, 4])],
                [vi(n, F, None) for n in ["reducemean", "reducemax", "reducemin",
                                          "reduceprod", "reducesum"]], opset=11)


@model
def reduce_composite():
    nodes = [helper.make_node(op, ["x"], [op.lower()], name=op.lower(), axes=[1])
             for op in ["ReduceL1", "ReduceL2", "ReduceSumSquare",
                        "ReduceLogSumExp"]]
    return make(nodes, [vi("x", F, ["N", 3])],
                [vi(op.lower(), F, None) for op in
                 ["ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSumExp"]])


@model
def argmax_argmin():
    return make([helper.make_node("ArgMax", ["x"], ["a"], name="amax", axis=1,
                                  keepdims=0),
                 helper.make_node("ArgMin", ["x"], ["b"], name="amin", axis=-1,
                                  select_last_index=1)],
                [vi("x", F, ["N", 10])], [vi("a", I64, None), vi("b", I64, None)])


# --- initializers --------------------------------------------------------------

@model
def init_float_data():
    t = helper.make_tensor("w", F, [3], [1.0, 2.5, -3.0])
    return make([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                [vi("x", F, ["N", 3])], [vi("y", F, None)], [t])


@model
def init_raw_data():
    t = helper.make_tensor("w", F, [3], np.array([1, 2.5, -3], np.float32).tobytes(),
                           raw=True)
    return make([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                [vi("x", F, ["N", 3])], [vi("y", F, None)], [t])


@model
def init_as_graph_input():
    t = helper.make_tensor("w", F, [3], [1.0, 2.0, 3.0])
    return make([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                [vi("x", F, ["N", 3]), vi("w", F, [3])], [vi("y", F, None)], [t])


def external(location):
    t = helper.make_tensor("w", F, [3], [0.0, 0.0, 0.0])
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in [("location", location), ("offset", "4"), ("length", "12")]:
        e = t.external_data.add()
        e.key, e.value = k, v
    return make([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                [vi("x", F, ["N", 3])], [vi("y", F, None)], [t])


@model
def init_external():
    return external("weights.bin")


@model
def init_external_escape():
    return external("../weights.bin")


@model
def init_raw_data_short():
    t = helper.make_tensor("w", F, [3], np.zeros(3, np.float32).tobytes(),
                           raw=True)
    t.raw_data = b"\0\0\0\0"
    return make([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                [vi("x", F, ["N", 3])], [vi("y", F, None)], [t])


# --- model-level errors --------------------------------------------------------

@model
def opset_too_new():
    return unary("Relu", opset=18)


@model
def unsupported_ops():
    nodes = [helper.make_node("LRN", ["x"], ["a"], name="lrn1", size=3),
             helper.make_node("NonMaxSuppression", ["a"], ["b"], name="nms"),
             helper.make_node("LRN", ["b"], ["c"], name="lrn2", size=3),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    return make(nodes, [vi("x", F, [1, 3, 4, 4])], [vi("y", F, None)])


@model
def dangling_input():
    return make([helper.make_node("Add", ["x", "nowhere"], ["y"], name="add1")],
                [vi("x", F, [2])], [vi("y", F, None)])


@model
def duplicate_output():
    return make([helper.make_node("Relu", ["x"], ["y"], name="r1"),
                 helper.make_node("Neg", ["x"], ["y"], name="r2")],
                [vi("x", F, [2])], [vi("y", F, None)])


@model
def cycle():
    return make([helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
                 helper.make_node("Neg", ["a"], ["b"], name="n2")],
                [vi("x", F, [2])], [vi("b", F, None)])


@model
def wrong_attr_type():
    return make([helper.make_node("LeakyRelu", ["x"], ["y"], name="lr", alpha=2)],
                [vi("x", F, [2])], [vi("y", F, None)])


@model
def missing_dim():
    x = vi("x", F, [2, 3])
    x.type.tensor_type.shape.dim[1].Clear()
    return make([helper.make_node("Relu", ["x"], ["y"], name="r")], [x],
                [vi("y", F, None)])


@model
def node_without_name():
    return make([helper.make_node("Relu", ["x"], ["a"]),
                 helper.make_node("Relu", ["a"], ["y"])],
                [vi("x", F, [2])], [vi("y", F, None)])


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "--list":
        print("\n".join(sorted(MODELS)))
        return
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in MODELS:
        sys.exit("usage: make_model.py NAME [DIR] | --list")
    name = sys.argv[1]
    data = MODELS[name]().SerializeToString()
    if len(sys.argv) == 3:
        os.makedirs(sys.argv[2], exist_ok=True)
        with open(os.path.join(sys.argv[2], "model.onnx"), "wb") as f:
            f.write(data)
        # External data lives beside the model: 4 bytes of padding, then w.
        with open(os.path.join(sys.argv[2], "weights.bin"), "wb") as f:
            f.write(np.array([9, 1, 2.5, -3], np.float32).tobytes())
        return
    sys.stdout.buffer.write(data)


if __name__ == "__main__":
    main()
