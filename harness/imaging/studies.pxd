# C types for the compiled build of studies.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(listed=Py_ssize_t)
cpdef bint _levels_fine(object s)

@cython.locals(seen=set)
cpdef bint _distinct(object found, bint skip_empty)

@cython.locals(n=Py_ssize_t)
cpdef Py_ssize_t _objects(object found)
