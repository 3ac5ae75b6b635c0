"""The build: the pure-Python package, plus its hot modules compiled with Cython where a C compiler
is at hand. Compiling is optional: a failed or skipped build leaves the pure-Python modules, which
give identical results (tests/test_compiled.py compares the two). IMAGING_HARNESS_PURE=1 at install
time skips compiling; at run time it makes the source run (harness/compiled.py)."""

import os

from setuptools import setup

# the modules a validation runs through for every resource (not jsonparse: it counts Python frames)
COMPILED = [
    "harness/imaging/context.py",
    "harness/imaging/endpoints.py",
    "harness/imaging/geometry.py",
    "harness/imaging/identifiers.py",
    "harness/imaging/paths.py",
    "harness/imaging/rules.py",
    "harness/imaging/series.py",
    "harness/imaging/studies.py",
    "harness/imaging/uids.py",
    "harness/validation/codegen.py",
    "harness/validation/compiler.py",
    "harness/validation/fastpath.py",
    "harness/validation/invariants.py",
    "harness/validation/issues.py",
    "harness/validation/narrative.py",
    "harness/validation/native.py",
    "harness/validation/numbertext.py",
    "harness/validation/primitives.py",
    "harness/validation/references.py",
    "harness/validation/structure.py",
    "harness/validation/terminology.py",
    "harness/validation/validator.py",
]


def extensions() -> list:
    if os.environ.get("IMAGING_HARNESS_PURE"):
        return []
    try:
        from Cython.Build import cythonize
        built = cythonize(COMPILED, quiet=True, nthreads=os.cpu_count() or 1,
                          # Python semantics throughout: annotations are not C types
                          compiler_directives={"language_level": 3, "annotation_typing": False})
    except Exception as e:  # no Cython, or it refuses a module: the pure-Python package
        print(f"imaging-harness: not compiling ({e}); the pure-Python modules are used")
        return []
    for ext in built:
        ext.optional = True  # a C compiler that fails leaves that module pure Python
    return built


setup(ext_modules=extensions(), options={"build_ext": {"parallel": os.cpu_count() or 1}})
