/* A program that embeds the dlc runtime through its C API: loads a compiled
 * artifact, runs its inference entry on a batch of zeros, and prints the
 * outputs' shapes and first values. Usage: classify MODEL.dlm INPUT_NAME D0 D1 ... */
#include "dlrt/dlrt.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s MODEL.dlm INPUT_NAME DIM...\n", argv[0]);
    return 2;
  }
  dlrt_model *model;
  if (dlrt_model_load(argv[1], &model) != 0) {
    fprintf(stderr, "error: %s\n", dlrt_last_error());
    return 1;
  }
  int rank = argc - 3;
  int64_t dims[8];
  size_t count = 1;
  for (int i = 0; i < rank && i < 8; ++i) {
    dims[i] = atoll(argv[3 + i]);
    count *= (size_t)dims[i];
  }
  float *data = calloc(count, sizeof(float));
  dlrt_tensor input = {DLRT_F32, rank, dims, data};
  const char *names[] = {argv[2]};
  const dlrt_tensor *outputs;
  size_t n;
  if (dlrt_model_run(model, "infer", 1, names, &input, &outputs, &n) != 0) {
    fprintf(stderr, "error: %s\n", dlrt_last_error());
    free(data);
    dlrt_model_free(model);
    return 1;
  }
  for (size_t i = 0; i < n; ++i) {
    printf("output %zu: rank %d, dims", i, outputs[i].rank);
    for (int d = 0; d < outputs[i].rank; ++d)
      printf(" %lld", (long long)outputs[i].dims[d]);
    if (outputs[i].dtype == DLRT_F32)
      printf(", first value %g", (double)((const float *)outputs[i].data)[0]);
    printf("\n");
  }
  free(data);
  dlrt_model_free(model);
  return 0;
}
