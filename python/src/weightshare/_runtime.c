/*
 * weightshare._runtime: the CPython extension over the WeightShare C runtime (Runtime/include/ws_runtime.h).
 *
 * Deliberately small: it owns an aligned copy of the .wsm bytes and the verified ws_model, and exposes what the
 * runtime's accessors return as plain Python values. Everything about NumPy (dtypes, shapes, batches) is in
 * weightshare/_model.py. Nothing here knows an opcode or the operator list: operator names come from
 * ws_opcode_name(), status names from the header's WS_STATUS_LIST.
 *
 * Thread safety: a loaded ws_model is read-only (ws_runtime.h), each call of run() allocates its own arena, and the
 * GIL is released only around work on memory that the call owns or holds a buffer export of; so run() may be
 * called from several threads at once on one Model.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_runtime.h"

/* ---- status names ---------------------------------------------------------------------------------------- */

static const char *status_name(ws_status status) {
    switch (status) {
#define WS_STATUS_NAME_CASE(name, value, text) \
    case name:                                 \
        return #name;
        WS_STATUS_LIST(WS_STATUS_NAME_CASE)
#undef WS_STATUS_NAME_CASE
    }
    return "WS_UNKNOWN_STATUS";
}

/* ---- the Model type ------------------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    void *buf; /* malloc'd copy of the file (malloc's alignment >= WS_ALIGNMENT) */
    size_t len;
    ws_model model;
} ModelObject;

static void Model_dealloc(ModelObject *self) {
    free(self->buf);
    self->buf = NULL;
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject ModelType; /* defined below */

/* A str from runtime-owned bytes, or None for NULL. Names in a verified file are NUL-terminated but not checked
 * to be UTF-8: undecodable bytes become U+FFFD rather than an exception. */
static PyObject *str_or_none(const char *s) {
    if (!s) Py_RETURN_NONE;
    return PyUnicode_DecodeUTF8(s, (Py_ssize_t)strlen(s), "replace");
}

/* load(data) -> (Model, None) on success, or (None, (status, name, message, op, tensor, input, op_name,
 * tensor_name)) when the runtime refuses the file. Raises only for Python-level problems (not bytes-like, no
 * memory, too large). */
static PyObject *runtime_load(PyObject *module, PyObject *arg) {
    Py_buffer view;
    ModelObject *self;
    ws_load_error error;
    ws_status status;
    void *scratch;
    size_t scratch_len;
    (void)module;
    if (PyObject_GetBuffer(arg, &view, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if ((size_t)view.len >= ((size_t)1 << 31)) {
        PyBuffer_Release(&view);
        PyErr_Format(PyExc_ValueError, "a .wsm file must be smaller than 2 GiB (got %zd bytes)", view.len);
        return NULL;
    }
    self = PyObject_New(ModelObject, &ModelType);
    if (!self) {
        PyBuffer_Release(&view);
        return NULL;
    }
    self->len = (size_t)view.len;
    self->buf = malloc(self->len > 0 ? self->len : 1);
    memset(&self->model, 0, sizeof self->model);
    scratch_len = WS_VERIFY_SCRATCH_BYTES_FOR_FILE(self->len);
    scratch = malloc(scratch_len);
    if (!self->buf || !scratch) {
        free(scratch);
        PyBuffer_Release(&view);
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    if (self->len) memcpy(self->buf, view.buf, self->len);
    PyBuffer_Release(&view);
    /* Verification is linear in the file size with the scratch; the copy is ours, so the GIL can go. */
    Py_BEGIN_ALLOW_THREADS
    status = ws_model_load_scratch(&self->model, self->buf, self->len, &error, scratch, scratch_len);
    Py_END_ALLOW_THREADS
    free(scratch);
    if (status != WS_OK) {
        PyObject *detail = Py_BuildValue("(issiiiNN)", (int)status, status_name(status), ws_status_string(status),
                                         (int)error.op, (int)error.tensor, (int)error.input,
                                         str_or_none(error.op_name), str_or_none(error.tensor_name));
        Py_DECREF(self);
        if (!detail) return NULL;
        return Py_BuildValue("(ON)", Py_None, detail);
    }
    return Py_BuildValue("(NO)", (PyObject *)self, Py_None);
}

/* (name, shape tuple, tensor id) of a tensor. */
static PyObject *tensor_tuple(ModelObject *self, ws_tensor_id t) {
    ws_tensor_info info;
    PyObject *shape;
    uint32_t d;
    if (ws_model_tensor(&self->model, t, &info) != WS_OK) {
        PyErr_Format(PyExc_RuntimeError, "tensor %d of a verified model cannot be read", (int)t);
        return NULL;
    }
    shape = PyTuple_New((Py_ssize_t)info.rank);
    if (!shape) return NULL;
    for (d = 0; d < info.rank; d++) {
        PyObject *dim = PyLong_FromUnsignedLong(info.shape[d]);
        if (!dim) {
            Py_DECREF(shape);
            return NULL;
        }
        PyTuple_SET_ITEM(shape, d, dim);
    }
    return Py_BuildValue("(NNi)", str_or_none(info.name), shape, (int)t);
}

static PyObject *io_list(ModelObject *self, int outputs) {
    uint32_t n = outputs ? ws_model_num_outputs(&self->model) : ws_model_num_inputs(&self->model), i;
    PyObject *list = PyList_New((Py_ssize_t)n);
    if (!list) return NULL;
    for (i = 0; i < n; i++) {
        ws_tensor_id t = outputs ? ws_model_output(&self->model, i) : ws_model_input(&self->model, i);
        PyObject *item = tensor_tuple(self, t);
        if (!item) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, item);
    }
    return list;
}

static PyObject *Model_inputs(ModelObject *self, PyObject *unused) {
    (void)unused;
    return io_list(self, 0);
}

static PyObject *Model_outputs(ModelObject *self, PyObject *unused) {
    (void)unused;
    return io_list(self, 1);
}

static PyObject *Model_arena_bytes(ModelObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromUnsignedLong(ws_model_arena_bytes(&self->model));
}

static PyObject *Model_file_bytes(ModelObject *self, PyObject *unused) {
    (void)unused;
    return PyLong_FromSize_t(self->len);
}

/* The codebook as bytes of float32 (native order, which is little-endian: the runtime runs only there). */
static PyObject *Model_codebook(ModelObject *self, PyObject *unused) {
    uint32_t size = 0;
    const float *values = ws_model_codebook(&self->model, &size);
    (void)unused;
    if (!values || size == 0) return PyBytes_FromStringAndSize("", 0);
    return PyBytes_FromStringAndSize((const char *)values, (Py_ssize_t)size * (Py_ssize_t)sizeof(float));
}

/* [(name, op_type), ...] in execution order. */
static PyObject *Model_operators(ModelObject *self, PyObject *unused) {
    uint32_t n = ws_model_num_operators(&self->model), o;
    PyObject *list = PyList_New((Py_ssize_t)n);
    (void)unused;
    if (!list) return NULL;
    for (o = 0; o < n; o++) {
        ws_operator_info info;
        PyObject *item;
        if (ws_model_operator(&self->model, o, &info) != WS_OK) {
            Py_DECREF(list);
            PyErr_Format(PyExc_RuntimeError, "operator %u of a verified model cannot be read", (unsigned)o);
            return NULL;
        }
        item = Py_BuildValue("(NN)", str_or_none(info.name), str_or_none(ws_opcode_name(info.opcode)));
        if (!item) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, o, item);
    }
    return list;
}

static PyObject *Model_metadata(ModelObject *self, PyObject *unused) {
    ws_metadata m;
    ws_stream_info s;
    (void)unused;
    ws_model_metadata(&self->model, &m);
    ws_model_stream(&self->model, &s);
    return Py_BuildValue("{s:k,s:K,s:N,s:N,s:N,s:N,s:N,s:k,s:k,s:K,s:d,s:d,s:k,s:k,s:k,s:k,s:k,s:k}",
                         "format_version", (unsigned long)m.format_version,
                         "required_features", (unsigned long long)m.required_features,
                         "tool_version", str_or_none(m.tool_version),
                         "source_sha256", str_or_none(m.source_sha256),
                         "source_name", str_or_none(m.source_name),
                         "metric", str_or_none(m.metric),
                         "solution_json", str_or_none(m.solution_json),
                         "k", (unsigned long)m.k, "m", (unsigned long)m.m, "seed", (unsigned long long)m.seed,
                         "score", m.score, "float_score", m.float_score,
                         "index_encoding", (unsigned long)s.encoding, "bit_width", (unsigned long)s.bit_width,
                         "index_count", (unsigned long)s.count, "index_stream_bytes", (unsigned long)s.bytes,
                         "tensors", (unsigned long)ws_model_num_tensors(&self->model),
                         "operators", (unsigned long)ws_model_num_operators(&self->model));
}

/* Releases the first n buffers of views. */
static void release_views(Py_buffer *views, Py_ssize_t n) {
    Py_ssize_t i;
    for (i = 0; i < n; i++) PyBuffer_Release(&views[i]);
}

/*
 * run(inputs, outputs, count): `inputs` is a sequence with one C-contiguous float32 buffer per graph input holding
 * `count` samples back to back, `outputs` one writable C-contiguous buffer per graph output for `count` samples.
 * The caller (weightshare/_model.py) has checked dtypes and shapes; sizes are checked again here, in bytes.
 * Each sample: the inputs are copied into a fresh arena, ws_invoke() runs, the outputs are copied out.
 */
static PyObject *Model_run(ModelObject *self, PyObject *args) {
    PyObject *inputs, *outputs;
    Py_ssize_t count, nin, nout, i, sample;
    Py_buffer *views = NULL;
    uint32_t num_inputs = ws_model_num_inputs(&self->model), num_outputs = ws_model_num_outputs(&self->model);
    size_t arena_len = ws_model_arena_bytes(&self->model);
    size_t *in_bytes = NULL, *out_bytes = NULL;
    void *arena = NULL;
    ws_status status = WS_OK;
    int bad_tensor = 0;

    if (!PyArg_ParseTuple(args, "OOn:run", &inputs, &outputs, &count)) return NULL;
    if (!PySequence_Check(inputs) || !PySequence_Check(outputs)) {
        PyErr_SetString(PyExc_TypeError, "run() takes a sequence of input buffers and one of output buffers");
        return NULL;
    }
    nin = PySequence_Size(inputs);
    nout = PySequence_Size(outputs);
    if (nin < 0 || nout < 0) return NULL;
    if ((size_t)nin != num_inputs || (size_t)nout != num_outputs || count < 0) {
        PyErr_Format(PyExc_ValueError, "run() needs %u input and %u output buffers and a count >= 0",
                     (unsigned)num_inputs, (unsigned)num_outputs);
        return NULL;
    }
    views = (Py_buffer *)calloc((size_t)(nin + nout) + 1, sizeof(Py_buffer));
    in_bytes = (size_t *)calloc((size_t)nin + 1, sizeof(size_t));
    out_bytes = (size_t *)calloc((size_t)nout + 1, sizeof(size_t));
    if (!views || !in_bytes || !out_bytes) {
        free(views);
        free(in_bytes);
        free(out_bytes);
        return PyErr_NoMemory();
    }
    for (i = 0; i < nin + nout; i++) {
        int is_input = i < nin;
        Py_ssize_t k = is_input ? i : i - nin;
        ws_tensor_id t = is_input ? ws_model_input(&self->model, (uint32_t)k) : ws_model_output(&self->model, (uint32_t)k);
        ws_tensor_info info;
        size_t per_sample;
        PyObject *item = PySequence_GetItem(is_input ? inputs : outputs, k);
        int rc;
        if (!item) {
            release_views(views, i);
            goto fail;
        }
        rc = PyObject_GetBuffer(item, &views[i], is_input ? PyBUF_C_CONTIGUOUS : (PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE));
        Py_DECREF(item);
        if (rc < 0) {
            release_views(views, i);
            goto fail;
        }
        ws_model_tensor(&self->model, t, &info);
        per_sample = (size_t)info.elements * sizeof(float);
        if ((size_t)views[i].len != per_sample * (size_t)count) {
            PyErr_Format(PyExc_ValueError, "%s %zd ('%s') holds %zd bytes; %zd samples of %u float32 need %zu",
                         is_input ? "input" : "output", k, info.name, views[i].len, count, (unsigned)info.elements,
                         per_sample * (size_t)count);
            release_views(views, i + 1);
            goto fail;
        }
        if (is_input)
            in_bytes[k] = per_sample;
        else
            out_bytes[k] = per_sample;
    }
    /* The arena: malloc's alignment satisfies WS_ALIGNMENT; one byte more so a zero-byte arena is a valid pointer. */
    arena = malloc(arena_len + 1);
    if (!arena) {
        release_views(views, nin + nout);
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    for (sample = 0; sample < count && status == WS_OK && !bad_tensor; sample++) {
        for (i = 0; i < nin; i++) {
            float *dst = ws_tensor_data(&self->model, ws_model_input(&self->model, (uint32_t)i), arena);
            if (!dst) {
                bad_tensor = 1;
                break;
            }
            memcpy(dst, (const char *)views[i].buf + (size_t)sample * in_bytes[i], in_bytes[i]);
        }
        if (bad_tensor) break;
        status = ws_invoke(&self->model, arena, arena_len);
        if (status != WS_OK) break;
        for (i = 0; i < nout; i++) {
            ws_tensor_id t = ws_model_output(&self->model, (uint32_t)i);
            char *dst = (char *)views[nin + i].buf + (size_t)sample * out_bytes[i];
            const float *src = ws_tensor_data(&self->model, t, arena);
            if (src) {
                memcpy(dst, src, out_bytes[i]);
            } else if (ws_tensor_decode(&self->model, t, (float *)(void *)dst, (uint32_t)(out_bytes[i] / sizeof(float))) != WS_OK) {
                bad_tensor = 1; /* neither an activation nor a constant: cannot happen in a verified model */
                break;
            }
        }
    }
    Py_END_ALLOW_THREADS
    free(arena);
    release_views(views, nin + nout);
    free(views);
    free(in_bytes);
    free(out_bytes);
    if (bad_tensor) {
        PyErr_SetString(PyExc_RuntimeError, "a graph input or output of the verified model has no data");
        return NULL;
    }
    if (status != WS_OK) {
        PyErr_Format(PyExc_RuntimeError, "ws_invoke failed: %s (%s)", status_name(status), ws_status_string(status));
        return NULL;
    }
    Py_RETURN_NONE;

fail:
    free(views);
    free(in_bytes);
    free(out_bytes);
    return NULL;
}

static PyMethodDef Model_methods[] = {
    {"inputs", (PyCFunction)Model_inputs, METH_NOARGS, "[(name, shape, tensor id)] of the graph inputs."},
    {"outputs", (PyCFunction)Model_outputs, METH_NOARGS, "[(name, shape, tensor id)] of the graph outputs."},
    {"arena_bytes", (PyCFunction)Model_arena_bytes, METH_NOARGS, "Arena bytes ws_invoke() needs."},
    {"file_bytes", (PyCFunction)Model_file_bytes, METH_NOARGS, "Length of the .wsm file."},
    {"codebook", (PyCFunction)Model_codebook, METH_NOARGS, "The codebook as float32 bytes."},
    {"operators", (PyCFunction)Model_operators, METH_NOARGS, "[(name, op type)] in execution order."},
    {"metadata", (PyCFunction)Model_metadata, METH_NOARGS, "The file's metadata and index stream facts."},
    {"run", (PyCFunction)Model_run, METH_VARARGS, "run(inputs, outputs, count): runs count samples."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ModelType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "weightshare._runtime.Model",
    .tp_basicsize = sizeof(ModelObject),
    .tp_dealloc = (destructor)Model_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A verified .wsm model (made by load()).",
    .tp_methods = Model_methods,
};

/* status_names() -> {code: (name, message)} for every status of the runtime. */
static PyObject *runtime_status_names(PyObject *module, PyObject *unused) {
    PyObject *dict = PyDict_New();
    (void)module;
    (void)unused;
    if (!dict) return NULL;
#define WS_STATUS_DICT_ITEM(name, value, text)                                        \
    {                                                                                 \
        PyObject *key = PyLong_FromLong(value), *val = Py_BuildValue("(ss)", #name, text); \
        int rc = (key && val) ? PyDict_SetItem(dict, key, val) : -1;                 \
        Py_XDECREF(key);                                                              \
        Py_XDECREF(val);                                                              \
        if (rc < 0) {                                                                 \
            Py_DECREF(dict);                                                          \
            return NULL;                                                              \
        }                                                                             \
    }
    WS_STATUS_LIST(WS_STATUS_DICT_ITEM)
#undef WS_STATUS_DICT_ITEM
    return dict;
}

static PyMethodDef module_methods[] = {
    {"load", runtime_load, METH_O,
     "load(data) -> (Model, None), or (None, (status, name, message, op, tensor, input, op_name, tensor_name))."},
    {"status_names", runtime_status_names, METH_NOARGS, "{code: (name, message)} of every runtime status."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef runtime_module = {
    PyModuleDef_HEAD_INIT, "weightshare._runtime", "The WeightShare C runtime (Runtime/), built into this module.",
    -1, module_methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__runtime(void) {
    PyObject *m;
    if (PyType_Ready(&ModelType) < 0) return NULL;
    m = PyModule_Create(&runtime_module);
    if (!m) return NULL;
    if (PyModule_AddIntConstant(m, "FORMAT_VERSION", (long)WS_FORMAT_VERSION) < 0 ||
        PyModule_AddIntConstant(m, "ALIGNMENT", (long)WS_ALIGNMENT) < 0 ||
        PyModule_AddIntConstant(m, "MAX_RANK", (long)WS_MAX_RANK) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
