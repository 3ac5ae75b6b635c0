# C types for the compiled build of codegen.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(ch=Py_UCS4)
cpdef bint id_fails(str v)

@cython.locals(f=cython.double)
cpdef bint decimals_fail(list values)
