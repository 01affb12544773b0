// Device state of a GPU artifact's buffers (see Device.h).
#include "Device.h"

#include "dlrt/Cuda.h"

#include <dlfcn.h>
#include <sstream>

namespace dlrt {

namespace {

// Halide reports an error to its handler from the thread that hit it (for a
// device call: the thread running the pipeline, i.e. the caller of the run),
// then returns a code; the message is kept here until the run turns it into
// its error.
thread_local std::string lastMessage;

void captureError(void *, const char *msg) {
  lastMessage = msg ? msg : "";
  while (!lastMessage.empty() && (lastMessage.back() == '\n' || lastMessage.back() == ' '))
    lastMessage.pop_back();
}

template <typename Fn> bool lookup(void *so, const char *name, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(so, name));
  return fn != nullptr;
}

// Whether a Halide target string has one of the features (its '-' parts).
bool hasFeature(const std::string &target, std::initializer_list<const char *> names) {
  std::istringstream in(target);
  for (std::string f; std::getline(in, f, '-');)
    for (const char *n : names)
      if (f == n)
        return true;
  return false;
}

} // namespace

void captureHalideErrors(void *so) {
  halide_error_handler_t (*set)(halide_error_handler_t) = nullptr;
  if (lookup(so, "halide_set_error_handler", set))
    set(captureError);
}

bool targetUsesGpu(const std::string &target) {
  return hasFeature(target, {"cuda", "opencl", "metal", "d3d12compute", "vulkan", "openglcompute"});
}

Expected<DeviceRuntime> DeviceRuntime::resolve(void *so) {
  DeviceRuntime d;
  if (!lookup(so, "halide_copy_to_host", d.copyToHost_) ||
      !lookup(so, "halide_device_free", d.deviceFree_) ||
      !lookup(so, "halide_reuse_device_allocations", d.reuse_))
    return Error("the artifact's code lacks Halide's device API (halide_copy_to_host, "
                 "halide_device_free, ...), which a GPU target needs");
  return d;
}

Status DeviceRuntime::prepare(const std::string &target) {
  if (hasFeature(target, {"cuda"}))
    if (Status s = cudaDeviceCheck(); !s)
      return Error("its kernels run on CUDA (target " + target + ") but " + s.error().message());
  if (!prepared_) {
    reuse_(nullptr, true);
    prepared_ = true;
  }
  lastMessage.clear();
  return Status::ok();
}

Status DeviceRuntime::copyToHost(halide_buffer_t &b, const std::string &what) const {
  if (int rc = copyToHost_(nullptr, &b); rc != 0)
    return Error("copying " + what + " back from the device failed with Halide error " +
                 std::to_string(rc) + (lastMessage.empty() ? "" : ": " + takeHalideMessage()));
  return Status::ok();
}

Status DeviceRuntime::release(std::vector<halide_buffer_t> &buffers) const {
  Status first;
  for (size_t i = 0; i < buffers.size(); ++i) {
    if (buffers[i].device == 0)
      continue;
    if (int rc = deviceFree_(nullptr, &buffers[i]); rc != 0 && first)
      first = Error("freeing the device memory of buffer " + std::to_string(i) +
                    " failed with Halide error " + std::to_string(rc) +
                    (lastMessage.empty() ? "" : ": " + takeHalideMessage()));
  }
  return first;
}

std::string takeHalideMessage() {
  std::string m;
  m.swap(lastMessage);
  return m;
}

} // namespace dlrt
