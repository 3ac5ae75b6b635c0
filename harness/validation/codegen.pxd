# C types for the compiled build of codegen.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(ch=Py_UCS4)
cpdef bint id_fails(str v)
