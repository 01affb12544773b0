# lit configuration for dlc's compiler tests: `# RUN:` lines in .test and .dlg
# files pipe the tools into FileCheck.
import os
import lit.formats

config.name = "dlc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".test", ".dlg"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.dlc_obj_root, "tests", "lit")

config.environment["PATH"] = os.pathsep.join(
    [config.dlc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])])
config.substitutions.append(("%dlc", os.path.join(config.dlc_tools_dir, "dlc")))
config.substitutions.append(("%dlrun", os.path.join(config.dlrun_tools_dir, "dlrun")))
config.substitutions.append(("%python", config.python))
config.substitutions.append(("%classify", os.path.join(config.dlrt_examples_dir, "dlrt-classify")))
config.substitutions.append(("%models", os.path.join(config.dlc_src_root, "models")))

# Debian's dataset-fashion-mnist (tools/scripts/setup.sh installs it), for the
# tests that train on it: `REQUIRES: fashion-mnist`.
if os.path.exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"):
    config.available_features.add("fashion-mnist")

# A usable CUDA device (the NVIDIA driver loads, initializes and reports one,
# as dlrt/Cuda.h checks): the no-GPU error tests are `UNSUPPORTED: cuda-device`.
def cuda_device_present():
    import ctypes
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    n = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(n)) == 0 and n.value > 0


if cuda_device_present():
    config.available_features.add("cuda-device")

# An OpenCL driver (setup.sh installs pocl, which runs OpenCL on the CPU): the
# runtime's device path is tested on it (`REQUIRES: opencl`).
vendors = "/etc/OpenCL/vendors"
if os.path.isdir(vendors) and any(f.endswith(".icd") for f in os.listdir(vendors)):
    config.available_features.add("opencl")
