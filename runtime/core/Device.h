// Device state of a GPU artifact's buffers (runtime-internal). A GPU
// pipeline compiled by Halide copies an input to the device only when its
// halide_buffer_t says the host copy is newer (host_dirty), leaves what it
// writes on the device (device_dirty), and allocates device memory per
// buffer that the caller must free. The runtime builds its buffer
// descriptors over host memory each run, so for a GPU artifact it marks the
// host data of inputs and values as newer before the first kernel, copies
// outputs and updated values back after the last, and frees every device
// allocation on every path out of the run. CPU artifacts never get here.
#pragma once

#include "dlrt/Error.h"

#include <HalideRuntime.h>

#include <string>
#include <vector>

namespace dlrt {

// Whether a Halide target string ("x86-64-linux-avx2-cuda-cuda_capability_86")
// has a GPU feature, i.e. whether its kernels keep data on a device.
bool targetUsesGpu(const std::string &target);

// Routes the Halide runtime's error messages of one artifact's shared object
// to takeHalideMessage instead of its default handler, which prints and
// aborts the process: a kernel's failure (a bounds check, an allocation)
// becomes the run's error, for CPU and GPU artifacts alike.
void captureHalideErrors(void *so);

// The Halide runtime's last error message on this thread ("" if none),
// cleared by the call: the reason behind a kernel's error code.
std::string takeHalideMessage();

// The Halide device API of one artifact's own Halide runtime (linked into its
// shared object), resolved with dlsym like halide_set_num_threads.
class DeviceRuntime {
public:
  // Error when the artifact's code lacks one of the functions.
  static Expected<DeviceRuntime> resolve(void *so);

  // Before a run's first kernel: the device the target needs is present (for
  // CUDA, dlrt::cudaDeviceCheck), and, once per artifact, Halide's pool of
  // freed device allocations is switched on (each run frees its buffers;
  // the next run's allocations of the same sizes come from the pool instead
  // of cuMemAlloc).
  Status prepare(const std::string &target);

  // The device copy of b to its host memory, when the device's is newer;
  // `what` names the buffer in the error.
  Status copyToHost(halide_buffer_t &b, const std::string &what) const;

  // Frees the device allocation of every buffer that has one. The first
  // failure is returned; the rest are still freed.
  Status release(std::vector<halide_buffer_t> &buffers) const;

private:
  int (*copyToHost_)(void *, halide_buffer_t *) = nullptr;
  int (*deviceFree_)(void *, halide_buffer_t *) = nullptr;
  int (*reuse_)(void *, bool) = nullptr;
  bool prepared_ = false;
};

} // namespace dlrt
