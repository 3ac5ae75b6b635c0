# C types for the compiled build of identifiers.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(every=list, d=dict, v=str, study=cython.bint, one=cython.bint)
cpdef bint _identifiers_fine(object s)
