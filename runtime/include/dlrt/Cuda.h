// Finding a usable CUDA device at run time. dlrt links no CUDA library: the
// NVIDIA driver (libcuda) is loaded here, on demand, so that a CPU-only build
// and CPU-only machines never need it, and a CUDA artifact run where there is
// no GPU fails with a clear message before any kernel starts.
#pragma once

#include "dlrt/Error.h"

#include <string>

namespace dlrt {

// Ok when this process can run CUDA kernels: the driver library loads
// (libcuda.so.1, else libcuda.so), cuInit succeeds and it reports at least one
// device. Otherwise the error says which step failed, e.g. "no CUDA device
// was found (cannot load libcuda.so.1: ...)" or "... (cuInit failed:
// CUDA_ERROR_NO_DEVICE)". The driver stays loaded with its symbols global:
// Halide's CUDA runtime (inside an artifact or Halide's JIT) looks for cuInit
// in the process before it tries to dlopen "libcuda.so" itself, which a
// driver-only install may lack. Checked once per process.
Status cudaDeviceCheck();

// The first device's name and compute capability ("NVIDIA H100 80GB HBM3,
// sm_90"), or "" when cudaDeviceCheck fails: for reports.
std::string cudaDeviceName();

} // namespace dlrt
