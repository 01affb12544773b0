// The CUDA driver probe (dlrt/Cuda.h): the driver API's few entry points,
// resolved with dlsym so nothing links against CUDA.
#include "dlrt/Cuda.h"

#include <dlfcn.h>

namespace dlrt {

namespace {

// CUresult and CUdevice are ints in the driver API.
using InitFn = int (*)(unsigned);
using CountFn = int (*)(int *);
using GetFn = int (*)(int *, int);
using NameFn = int (*)(char *, int, int);
using AttrFn = int (*)(int *, int, int);
using ErrNameFn = int (*)(int, const char **);

struct Driver {
  void *lib = nullptr;
  Status status;
  std::string name;
};

std::string resultName(void *lib, int rc) {
  const char *s = nullptr;
  auto fn = reinterpret_cast<ErrNameFn>(dlsym(lib, "cuGetErrorName"));
  if (fn && fn(rc, &s) == 0 && s)
    return s;
  return "CUDA error " + std::to_string(rc);
}

Driver probe() {
  Driver d;
  auto none = [](const std::string &why) { return Error("no CUDA device was found (" + why + ")"); };
  std::string loadErr;
  for (const char *so : {"libcuda.so.1", "libcuda.so"}) {
    d.lib = dlopen(so, RTLD_NOW | RTLD_GLOBAL);
    if (d.lib)
      break;
    if (loadErr.empty()) // the first name's reason is the telling one
      loadErr = dlerror();
  }
  if (!d.lib) {
    d.status = none("cannot load the NVIDIA driver: " + loadErr);
    return d;
  }
  auto init = reinterpret_cast<InitFn>(dlsym(d.lib, "cuInit"));
  auto count = reinterpret_cast<CountFn>(dlsym(d.lib, "cuDeviceGetCount"));
  if (!init || !count) {
    d.status = none("the driver library lacks cuInit or cuDeviceGetCount");
    return d;
  }
  if (int rc = init(0); rc != 0) {
    d.status = none("cuInit failed: " + resultName(d.lib, rc));
    return d;
  }
  int n = 0;
  if (int rc = count(&n); rc != 0) {
    d.status = none("cuDeviceGetCount failed: " + resultName(d.lib, rc));
    return d;
  }
  if (n <= 0) {
    d.status = none("the driver reports 0 devices");
    return d;
  }
  auto get = reinterpret_cast<GetFn>(dlsym(d.lib, "cuDeviceGet"));
  auto name = reinterpret_cast<NameFn>(dlsym(d.lib, "cuDeviceGetName"));
  auto attr = reinterpret_cast<AttrFn>(dlsym(d.lib, "cuDeviceGetAttribute"));
  int dev = 0;
  char buf[256] = {};
  if (get && name && get(&dev, 0) == 0 && name(buf, sizeof buf - 1, dev) == 0) {
    d.name = buf;
    // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR / _MINOR.
    int major = 0, minor = 0;
    if (attr && attr(&major, 75, dev) == 0 && attr(&minor, 76, dev) == 0)
      d.name += ", sm_" + std::to_string(major) + std::to_string(minor);
  }
  return d;
}

const Driver &driver() {
  static Driver d = probe();
  return d;
}

} // namespace

Status cudaDeviceCheck() { return driver().status; }

std::string cudaDeviceName() { return driver().status ? driver().name : std::string(); }

} // namespace dlrt
