"""Builds the walk's inner loop as a compiled extension beside the pure-Python package.

``twin.crowd.walkers_compiled`` is compiled by Cython from ``twin/crowd/walkers.py`` (that source,
with its SHA-256 appended: `twin.crowd.compiled` uses the extension only while the source beside
it is the one it was built from). The extension is optional: without a C compiler the build goes
on without it and the walkers run as Python, with the same results, the walk about a quarter
slower (the compiled walk took 0.8 of the source's time over the default day).
Everything else about the package is in ``pyproject.toml``.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, setup

SOURCE = Path("twin/crowd/walkers.py")
# The copy compiled, under the module's own name, in a package tree of its own under build/.
COPY = Path("build/cython/twin/crowd/walkers_compiled.py")


def compiled_copy() -> str:
    """Write the copy of the walkers' source that is compiled; its path."""
    source = SOURCE.read_bytes()
    COPY.parent.mkdir(parents=True, exist_ok=True)
    for package in (COPY.parent, COPY.parent.parent):
        (package / "__init__.py").touch()
    digest = hashlib.sha256(source).hexdigest()
    COPY.write_text(source.decode() + f'\n\nSOURCE_SHA256 = "{digest}"\n', encoding="utf-8")
    return str(COPY)


setup(
    ext_modules=cythonize(
        [Extension("twin.crowd.walkers_compiled", [compiled_copy()], optional=True)],
        compiler_directives={"language_level": "3"},
        quiet=True,
    )
)
