# C types for the compiled build of geometry.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(r=dict, c=list, f=cython.double, negative=cython.bint, non_negative=cython.bint,
               n=Py_ssize_t, i=Py_ssize_t)
cpdef bint _regions_fine(object s)
