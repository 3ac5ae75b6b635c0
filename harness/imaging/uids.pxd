# C types for the compiled build of uids.py (setup.py); the source runs unchanged without them.
cimport cython

@cython.locals(text=str, ch=Py_UCS4, at_start=cython.bint, zero_first=cython.bint, comp=cython.Py_ssize_t,
                arc=cython.int, bounded=cython.bint)
cpdef bint _all_valid_scan(object uids)

@cython.locals(out=list, seen=set, d=dict, code=str)
cpdef object uids_to_check(object found, object form)
