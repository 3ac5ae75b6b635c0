"""The build: the pure-Python package, plus its hot modules compiled with Cython where a C compiler
is at hand. A module is compiled when its first line is MARKER (below); Cython's generated C goes
to build/cython/, never beside the sources. Compiling is optional: a failed or skipped build leaves
the pure-Python modules, which give identical results (tests/install/test_compiled.py compares the
two). IMAGING_HARNESS_PURE=1 at install time skips compiling; at run time it makes the source run
(harness/compiled.py).

Two build steps of our own:
* `build_py` copies the top-level `testcases/` and `fixtures/{datasets,negative}/` into the wheel as
  package data (`harness/_data/`, harness/shipped.py reads them); an editable install reads the
  checkout's folders in place, so nothing is committed twice.
* `build_ext` records the SHA-256 of each compiled module's source in `harness/_compiled.json`
  beside the compiled files. harness/compiled.py runs a compiled module only while its source still
  has that hash: installing, copying or touching files changes no decision; editing a source does.
"""

import glob
import hashlib
import json
import os
import shutil

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

SHIPPED = ("testcases", "fixtures/datasets", "fixtures/negative")  # = harness/shipped.py FOLDERS
RECORD = "_compiled.json"  # = harness/compiled.py RECORD

#: the first line of each module to compile (= harness/compiled.py MARKER): the modules a validation
#: runs through for every resource. A text scan, as harness cannot be imported before its build deps.
MARKER = "# imaging-harness: compiled"
#: where Cython writes its generated C: outside the package, so no .c sits beside a source
C_DIR = os.path.join("build", "cython")


def compiled_sources(root: str = ".") -> list[str]:
    """harness/**/*.py whose first line is MARKER, as paths relative to root with '/'."""
    out = []
    for path in sorted(glob.glob(os.path.join(root, "harness", "**", "*.py"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            if f.readline().rstrip("\r\n") == MARKER:
                out.append(os.path.relpath(path, root).replace(os.sep, "/"))
    return out


def extensions() -> list:
    if os.environ.get("IMAGING_HARNESS_PURE"):
        return []
    try:
        from Cython.Build import cythonize
        built = cythonize(compiled_sources(), quiet=True, nthreads=os.cpu_count() or 1, build_dir=C_DIR,
                          # Python semantics throughout: annotations are not C types
                          compiler_directives={"language_level": 3, "annotation_typing": False})
    except Exception as e:  # no Cython, or it refuses a module: the pure-Python package
        print(f"imaging-harness: not compiling ({e}); the pure-Python modules are used")
        return []
    for ext in built:
        ext.optional = True  # a C compiler that fails leaves that module pure Python
    return built


class BuildPy(build_py):
    """The package, plus the case files and datasets as package data (not in an editable install)."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in SHIPPED:
            target = os.path.join(self.build_lib, "harness", "_data", *name.split("/"))
            if os.path.isdir(target):
                shutil.rmtree(target)  # a stale copy from an earlier build
            shutil.copytree(name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


def source_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class BuildExt(build_ext):
    """The compiled modules, and the record of the source each was compiled from."""

    def run(self):
        super().run()
        if not self.extensions:
            return
        record = {}
        for ext in self.extensions:
            source = os.path.join(*ext.name.split(".")) + ".py"
            if os.path.isfile(self.get_ext_fullpath(ext.name)) and os.path.isfile(source):
                record[ext.name] = source_hash(source)
        package = os.path.dirname(self.get_ext_fullpath("harness.x"))  # in place, or in build_lib
        os.makedirs(package, exist_ok=True)
        with open(os.path.join(package, RECORD), "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, sort_keys=True)


setup(ext_modules=extensions(), cmdclass={"build_py": BuildPy, "build_ext": BuildExt},
      options={"build_ext": {"parallel": os.cpu_count() or 1}})
