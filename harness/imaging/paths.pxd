# C types for the compiled build of paths.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(got=list, found=list, d=dict, flat=cython.bint)
cpdef list step(object nodes, object head)

@cython.locals(found=list, d=dict, i=Py_ssize_t)
cpdef list step_with_locations(object level, object head)

@cython.locals(split=tuple)
cpdef list memo_values(dict memo, object node, object path)
