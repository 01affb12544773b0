// Lowering core ops to Halide.
//
// A kernel is one Halide pipeline computing the outputs of a group of nodes
// (a heavy op and the element-wise chain fused into it, or a single node)
// from the group's inputs, which arrive as buffers. Inside a pipeline every
// tensor is an HTensor: a Func indexed in the IR's axis order (row-major, the
// last axis innermost; Halide's dimension 0 is the IR's last axis), its
// extents in that order (constants for static dims, the input buffer's
// extent for symbolic ones) and its element type. bool is stored as uint8.
//
// One lowering function per op family (ops/*.cpp), dispatched through
// Ops.def: lower<Family>(LowerCtx &) defines ctx.outs[i].f from ctx.ins. The
// algorithm lives there; schedules live apart (schedules/*.cpp): a lowering
// names the schedule template its outputs want (ctx.schedule), and the kernel
// builder applies it for the target when the Func is a kernel output.
#pragma once

#include "ir/IR.h"

#include <Halide.h>

#include <functional>

namespace dlc::codegen {

Halide::Type halideType(DType t);

struct HTensor {
  Halide::Func f;
  std::vector<Halide::Expr> extents; // IR axis order
  Halide::Type type;

  size_t rank() const { return extents.size(); }
  bool defined() const { return f.defined(); }
  // f at IR-order indices (reversed into Halide's argument order).
  Halide::Expr operator()(const std::vector<Halide::Expr> &idx) const;
  Halide::Expr operator()(const std::vector<Halide::Var> &idx) const;
};

// Fresh variables for a rank-r tensor, IR order; and defining f over them.
std::vector<Halide::Var> irVars(size_t rank, const std::string &prefix = "i");
void define(HTensor &t, const std::vector<Halide::Var> &vars, Halide::Expr value);

// What a schedule template gets: the Func to schedule as a kernel output, the
// node it computes, the target, and the HTensors of the node's inputs (for
// staging them: repacking weights, padding).
struct ScheduleCtx {
  Halide::Func out;
  const Node &node;
  const Halide::Target &target;
  std::vector<HTensor> ins;
  std::vector<Halide::Var> vars; // out's variables, IR order
  // out applies a fused element-wise epilogue to the node's value (and may
  // be a Tuple of several outputs), rather than copying it out.
  bool epilogue = false;
};
using ScheduleFn = std::function<void(ScheduleCtx &)>;

struct LowerCtx {
  const Node &node;
  const Halide::Target &target;
  std::vector<HTensor> ins;  // absent optional inputs are undefined
  std::vector<HTensor> outs; // extents and types preset; lowering sets f
  // The schedule template for this node's outputs, if not the default
  // (element-wise: vectorized, parallel over outer axes).
  ScheduleFn schedule;
  // Vars the lowering used for each output (IR order), for the scheduler.
  std::vector<std::vector<Halide::Var>> outVars;

  const HTensor &in(size_t i) const { return ins[i]; }
  bool hasIn(size_t i) const { return i < ins.size() && ins[i].defined(); }
  Error error(const std::string &m) const { return Error(node.describe() + ": " + m); }
};

// Defines ctx.outs from ctx.ins for ctx.node.
Status lowerNode(LowerCtx &ctx);

// Family lowerings (ops/*.cpp): lower<Family> for each family in Ops.def
// (generated; repeated declarations are harmless).
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut) Status lower##Family(LowerCtx &c);
#include "ir/Ops.def"

} // namespace dlc::codegen
