/* The dlc runtime's C API: load a .dlm artifact and run its entry points.
 *
 *   dlrt_model *m;
 *   if (dlrt_model_load("lenet5.dlm", &m) != 0) { puts(dlrt_last_error()); ... }
 *   dlrt_tensor x = {DLRT_F32, 4, dims, data};            // caller's memory
 *   const char *names[] = {"x"};
 *   dlrt_tensor *outs; size_t n;
 *   dlrt_model_run(m, "infer", 1, names, &x, &outs, &n);  // outputs owned by m
 *   dlrt_model_free(m);
 *
 * Every function returns 0 on success and -1 on error; dlrt_last_error()
 * describes the last error of the calling thread. Output tensors stay valid
 * until the next run on the same model or its release. */
#ifndef DLRT_DLRT_H
#define DLRT_DLRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types; the values match dlrt::DType. */
enum dlrt_dtype { DLRT_F32, DLRT_F64, DLRT_F16, DLRT_I64, DLRT_I32, DLRT_I8, DLRT_U8, DLRT_BOOL };

typedef struct dlrt_tensor {
  int dtype;           /* enum dlrt_dtype */
  int rank;
  const int64_t *dims; /* rank entries, row-major */
  void *data;
} dlrt_tensor;

typedef struct dlrt_model dlrt_model;

int dlrt_model_load(const char *path, dlrt_model **out);
void dlrt_model_free(dlrt_model *m);
int dlrt_model_run(dlrt_model *m, const char *entry, size_t n_inputs, const char *const *names,
                   const dlrt_tensor *inputs, const dlrt_tensor **outputs, size_t *n_outputs);
/* A parameter or state by name; the tensor stays valid until the next call. */
int dlrt_model_get_value(dlrt_model *m, const char *name, const dlrt_tensor **out);
int dlrt_model_set_value(dlrt_model *m, const char *name, const dlrt_tensor *value);
int dlrt_model_set_num_threads(dlrt_model *m, int n);
const char *dlrt_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* DLRT_DLRT_H */
