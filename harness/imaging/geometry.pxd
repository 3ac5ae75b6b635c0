# C types for the compiled build of geometry.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(r=dict, c=list, f=cython.double, negative=cython.bint, non_negative=cython.bint,
               d=Py_ssize_t, n=Py_ssize_t, i=Py_ssize_t, points=Py_ssize_t, closed=cython.bint, coplanar=cython.bint)
cpdef bint _regions_fine(object s)

@cython.locals(key=tuple)
cpdef object _shape_rule(object version, object bound_at, object code)
