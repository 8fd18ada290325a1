/* kvgraph._fast: Kv.get without cffi's per-call conversions.
 *
 * The module does not link libkvgraph: kvgraph._ffi (which holds the one
 * copy of the library in the process) hands it the address of
 * kvg_kv_get_into once, through init(). get() then takes the engine token
 * as an int and the key as bytes, and returns the value as bytes, None if
 * the key is absent, or the status (an int) of any other failure, which the
 * caller raises with kvg_last_error()'s message.
 *
 * Unlike the cffi calls, the first read holds the GIL: it never waits (a
 * lock-free map read, under a microsecond), and releasing and retaking the
 * GIL cost about 170 ns of the 550 ns a call took on a hot key. A value
 * larger than the stack buffer is read again with the GIL released, as its
 * copy may take longer. Stable ABI (CPython >= 3.9).
 */
#define Py_LIMITED_API 0x03090000
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "kvgraph.h"

typedef enum kvg_status (*get_into_fn)(const struct kvg_engine *, const uint8_t *, size_t, uint8_t *, size_t,
                                       size_t *);

static get_into_fn get_into = NULL;

/* Values up to this size are read on the stack; larger ones into a
 * buffer of their exact size. */
#define STACK_VALUE 4096

static PyObject *fast_init(PyObject *self, PyObject *arg) {
    (void)self;
    void *p = PyLong_AsVoidPtr(arg);
    if (p == NULL) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "kvgraph._fast.init: null function address");
        return NULL;
    }
    get_into = (get_into_fn)p;
    Py_RETURN_NONE;
}

static PyObject *fast_get(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *token, *key;
    if (!PyArg_UnpackTuple(args, "get", 2, 2, &token, &key)) return NULL;
    if (get_into == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "kvgraph._fast.init was not called");
        return NULL;
    }
    const struct kvg_engine *engine = (const struct kvg_engine *)PyLong_AsVoidPtr(token);
    if (engine == NULL && PyErr_Occurred()) return NULL;
    char *k;
    Py_ssize_t klen;
    if (PyBytes_AsStringAndSize(key, &k, &klen) < 0) return NULL;
    uint8_t stack[STACK_VALUE];
    uint8_t *buf = stack;
    size_t cap = sizeof stack, len = 0;
    for (;;) {
        enum kvg_status status;
        if (buf == stack) {
            status = get_into(engine, (const uint8_t *)k, (size_t)klen, buf, cap, &len);
        } else {
            Py_BEGIN_ALLOW_THREADS
            status = get_into(engine, (const uint8_t *)k, (size_t)klen, buf, cap, &len);
            Py_END_ALLOW_THREADS
        }
        if (status != KVG_BUFFER_TOO_SMALL) {
            PyObject *out = status == KVG_OK          ? PyBytes_FromStringAndSize((const char *)buf, (Py_ssize_t)len)
                            : status == KVG_NOT_FOUND ? (Py_INCREF(Py_None), Py_None)
                                                      : PyLong_FromLong((long)status);
            if (buf != stack) PyMem_Free(buf);
            return out;
        }
        /* Grown meanwhile: read again into a buffer of the size asked for. */
        if (buf != stack) PyMem_Free(buf);
        buf = PyMem_Malloc(len ? len : 1);
        if (buf == NULL) return PyErr_NoMemory();
        cap = len;
    }
}

static PyMethodDef methods[] = {
    {"init", fast_init, METH_O, "init(address): the address of kvg_kv_get_into in kvgraph._ffi."},
    {"get", fast_get, METH_VARARGS, "get(engine, key): bytes, None if absent, or a failure status (int)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "kvgraph._fast", NULL, -1, methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fast(void) { return PyModule_Create(&module); }
