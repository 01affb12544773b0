// NumPy .npy files (format versions 1.0-3.0): read and write dense tensors.
// Little-endian, C order; dtypes <f4 <f8 <f2 <i8 <i4 |i1 |u1 |b1.
#pragma once

#include "dlrt/Error.h"
#include "dlrt/Tensor.h"

#include <string>

namespace dlrt {

Expected<Tensor> readNpy(const std::string &path);
Expected<Tensor> parseNpy(const std::string &bytes, const std::string &name);
// Writes atomically (temporary file, then rename).
Status writeNpy(const std::string &path, const Tensor &t);
std::string serializeNpy(const Tensor &t);

} // namespace dlrt
