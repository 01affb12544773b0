// The .dlg text form of a graph, and Graphviz.
//
// .dlg grammar (frontend/dlg/Parser.cpp reads it back; print -> parse -> print
// is byte-identical):
//
//   graph NAME {
//     input x: f32[N, 1, 28, 28]               # symbolic dims are names
//     param w: f32[6, 1, 5, 5] = he_normal(seed=1)
//     param b: f32[6] frozen = [0.1, 0, 0, 0, 0, 0]
//     param e: f32[10, 84] = npy("fc3_w.npy")  # relative to the .dlg file
//     state m: f32[6] = zeros                 # kept across runs, not learned
//     const c: f32[] = 0.5
//     c1: f32[N, 6, 28, 28] = Conv(x, w, b) {pads=[2, 2, 2, 2]}
//     s1, s2 = Split(c1) {axis=1} @split1    # @: node name, if not the
//                                             # first output's name
//     output logits = c1
//     update w = w.next                       # after the run, w takes w.next
//     train {                                 # the model's training intent
//       loss cross_entropy(logits, label) {weight=0.5}
//       optimizer sgd {lr=0.1, momentum=0.9}
//       freeze "conv1.*", fc.bias             # names or globs
//       l2 0.0005                             # also: l1, clip_norm
//     }
//   }
//   blobs {                                   # tensors over 16 elements,
//     w = <0000803f...>                       # raw little-endian bytes, hex
//   }
//
// Names that are not [A-Za-z_][A-Za-z0-9_.]* are quoted ("onnx::Conv_3").
// Output types on node lines are optional when writing by hand; when present
// they must equal the inferred ones. Attributes equal to their default are
// omitted; '_' is an absent optional input.
#pragma once

#include "ir/IR.h"

#include <string>

namespace dlc {

struct PrintOptions {
  // Print large tensors as `elided` instead of writing a blobs section.
  bool elideWeights = false;
  // Tensors with more elements than this go to the blobs section.
  int64_t inlineLimit = 16;
};

std::string printGraph(const Graph &g, const PrintOptions &opts = {});
std::string printDot(const Graph &g);

// Shared with the parser: name quoting and number formatting.
bool isBareName(const std::string &s);
std::string quoteName(const std::string &s);
// Shortest decimal that reads back as the same double; always has '.', 'e',
// "inf" or "nan" so it reads as a float.
std::string formatFloat(double v);
// Integral values as integers (seed=7), others as formatFloat.
std::string formatNumber(double v);

} // namespace dlc
