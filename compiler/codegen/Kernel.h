// Kernels: groups of nodes compiled as one Halide pipeline.
//
// buildKernel makes an ImageParam per group input (named after the value),
// lowers the nodes in order, and returns a Pipeline whose outputs are the
// group's outputs, scheduled for the target: heavy ops by their templates,
// element-wise outputs vectorized and parallel (several of one shape as one
// Tuple: one pass). Inner values of the group are inlined (that is the
// fusion of element-wise chains), except scalars, computed once before the
// loops. A group of a heavy op and its epilogue has one output Func (a Tuple
// when it writes several outputs, one buffer each, in group order) that the
// heavy op's template schedules: the sums are computed per output tile and
// the epilogue applied to them as the tile is stored.
//
// runKernelJit compiles a kernel in process and runs it on tensors: the
// backend's conformance tests compare it with the reference interpreter.
#pragma once

#include "codegen/Lower.h"

namespace dlc::codegen {

struct KernelGroup {
  std::vector<const Node *> nodes; // topological order
  std::vector<const Value *> inputs;
  std::vector<const Value *> outputs;
  // Set for a view: a Reshape whose output an artifact gives the memory of
  // this value (its input; dense row-major tensors keep their order) instead
  // of running a kernel. The group still builds as a copy kernel, which is
  // what in-process runners (runKernelJit) run.
  const Value *viewOf = nullptr;
};

// The target of this machine, named explicitly: x86-64 with the AVX-512
// features if the CPU has them (Halide 14's detection misnames Zen 5), else
// AVX2, else SSE4.1.
Halide::Target hostTarget();

// A group of one node.
KernelGroup singleNodeGroup(const Node &n);
// Scalar float/int32 constants: embedded into kernels as immediates, never
// kernel inputs.
bool isEmbeddedConst(const Value *v);
// Groups a graph's nodes into kernels for target t: each node its own
// kernel, except that
// - element-wise nodes join the kernel of an element-wise producer that
//   nothing outside has read yet, when they inline the value (it has no
//   other use) or are of its shape (the kernel then writes every value read
//   outside from one pass, a Tuple): chains like Mul-Add-Relu, or an
//   optimizer's update of one parameter with its new moments, become one
//   pass over memory; a node reading several such producers merges them;
// - scalar expressions of the step's inputs, parameters and constants only
//   (an optimizer's bias corrections and step sizes from the step count and
//   the learning rate) make no kernel: each kernel reading one computes it
//   (Halide hoists it out of the loops), so it is ready wherever it is read;
// - a Reshape is a view (KernelGroup::viewOf), except of a scalar computed
//   in kernels and where an update takes its output;
// - element-wise nodes of a heavy op's output shape join its kernel as an
//   epilogue (bias, ReLU, a ReLU gradient's mask, an optimizer's update of a
//   weight gradient), computed from the heavy op's output tiles before they
//   are stored, where its template takes one at no loss
//   (convTakesEpilogue); a value of the group read outside (a ReLU's input
//   kept for the backward pass) is written too, from the same tiles. The
//   epilogue's operands computed by element-wise groups of that shape (the
//   mask) move into the kernel as well.
// Groups are in execution order.
std::vector<KernelGroup> groupNodes(const Graph &g, const Halide::Target &t = hostTarget());

struct BuiltKernel {
  std::string name;
  Halide::Pipeline pipeline;
  // Inputs in group order, then one int32 scalar per symbolic dim that no
  // input carries (an Expand of a scalar to [N, ...]); outputs follow.
  std::vector<Halide::Argument> args;
  std::vector<Halide::ImageParam> params;
  std::vector<std::string> symbols;
  std::vector<Halide::Param<int32_t>> symbolParams;
};

// The symbolic dims a group's outputs need that none of its inputs carries:
// the kernel takes them as scalar arguments (BuiltKernel::symbols).
std::vector<std::string> scalarSymbols(const KernelGroup &g);

Expected<BuiltKernel> buildKernel(const KernelGroup &g, const Halide::Target &t,
                                  const std::string &name);

// Output shapes come from the nodes' types with symbolic dims bound by the
// inputs' shapes, or by `syms` for dims no input carries.
Expected<std::vector<Tensor>> runKernelJit(const KernelGroup &g, const std::vector<Tensor> &ins,
                                           const Halide::Target &t,
                                           const std::map<std::string, int64_t> &syms = {});


} // namespace dlc::codegen
