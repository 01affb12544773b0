// The C API (dlrt/dlrt.h) over dlrt::Model.
#include "dlrt/Runtime.h"
#include "dlrt/dlrt.h"

#include <cstring>
#include <string>

namespace {

thread_local std::string lastError;

int fail(const std::string &m) {
  lastError = m;
  return -1;
}

// Tensors handed out by the C API stay alive in the model until the next call.
struct Held {
  std::vector<dlrt::Tensor> tensors;
  std::vector<std::vector<int64_t>> dims;
  std::vector<dlrt_tensor> views;
  void hold(std::vector<dlrt::Tensor> ts) {
    tensors = std::move(ts);
    dims.clear();
    views.clear();
    for (auto &t : tensors)
      dims.push_back(t.shape());
    for (size_t i = 0; i < tensors.size(); ++i)
      views.push_back({static_cast<int>(tensors[i].dtype()), static_cast<int>(dims[i].size()),
                       dims[i].data(), tensors[i].raw()});
  }
};

dlrt::Tensor fromC(const dlrt_tensor &c) {
  std::vector<int64_t> shape(c.dims, c.dims + c.rank);
  dlrt::Tensor t(static_cast<dlrt::DType>(c.dtype), shape);
  if (t.byteSize())
    std::memcpy(t.raw(), c.data, t.byteSize());
  return t;
}

} // namespace

struct dlrt_model {
  std::unique_ptr<dlrt::Model> model;
  Held outputs, value;
};

extern "C" {

int dlrt_model_load(const char *path, dlrt_model **out) {
  if (!path || !out)
    return fail("dlrt_model_load: null argument");
  auto m = dlrt::Model::load(path);
  if (!m)
    return fail(m.error().message());
  *out = new dlrt_model{std::move(*m), {}, {}};
  return 0;
}

void dlrt_model_free(dlrt_model *m) { delete m; }

int dlrt_model_run(dlrt_model *m, const char *entry, size_t n_inputs, const char *const *names,
                   const dlrt_tensor *inputs, const dlrt_tensor **outputs, size_t *n_outputs) {
  if (!m || !entry || (n_inputs && (!names || !inputs)) || !outputs || !n_outputs)
    return fail("dlrt_model_run: null argument");
  std::map<std::string, dlrt::Tensor> feeds;
  for (size_t i = 0; i < n_inputs; ++i) {
    if (inputs[i].dtype < DLRT_F32 || inputs[i].dtype > DLRT_BOOL || inputs[i].rank < 0)
      return fail(std::string("input '") + names[i] + "': bad dtype or rank");
    feeds[names[i]] = fromC(inputs[i]);
  }
  auto r = m->model->run(entry, feeds);
  if (!r)
    return fail(r.error().message());
  m->outputs.hold(std::move(*r));
  *outputs = m->outputs.views.data();
  *n_outputs = m->outputs.views.size();
  return 0;
}

int dlrt_model_get_value(dlrt_model *m, const char *name, const dlrt_tensor **out) {
  if (!m || !name || !out)
    return fail("dlrt_model_get_value: null argument");
  auto v = m->model->value(name);
  if (!v)
    return fail(v.error().message());
  m->value.hold({*v});
  *out = m->value.views.data();
  return 0;
}

int dlrt_model_set_value(dlrt_model *m, const char *name, const dlrt_tensor *value) {
  if (!m || !name || !value)
    return fail("dlrt_model_set_value: null argument");
  dlrt::Status s = m->model->setValue(name, fromC(*value));
  return s ? 0 : fail(s.error().message());
}

int dlrt_model_set_num_threads(dlrt_model *m, int n) {
  if (!m)
    return fail("dlrt_model_set_num_threads: null model");
  m->model->setNumThreads(n);
  return 0;
}

const char *dlrt_last_error(void) { return lastError.c_str(); }

} // extern "C"
