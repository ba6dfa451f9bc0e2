"""Which build of the walkers runs: the compiled extension when it was built from the current source.

`twin.crowd.walkers` is the walk's inner loop. Installing the package with a C compiler also
builds it as an extension module, ``twin.crowd.walkers_compiled`` (Cython, from the same source;
the walk in about 0.8 of the time: see ``setup.py``). The extension carries the SHA-256 of the
source it was built from; it is used only when that is the source beside it now, so an edit not
yet rebuilt (``pip install -e .``) runs as written, and ``TWIN_COMPILED=0`` in the environment
runs the source anyway (to profile or debug it). Both give the same results (`tests/crowd/test_compiled.py`).
"""

from __future__ import annotations

import hashlib
import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from twin.crowd import walkers

__all__ = ["COMPILED", "WalkPlan", "Walked", "source_sha256", "walk", "walk_plan"]


def source_sha256() -> str:
    """The SHA-256 of the walkers' source as it is now (hex)."""
    return hashlib.sha256(Path(walkers.__file__).read_bytes()).hexdigest()


def _current_build() -> ModuleType:
    if os.environ.get("TWIN_COMPILED", "1") == "0":
        return walkers
    try:
        walkers_compiled = importlib.import_module("twin.crowd.walkers_compiled")
    except ImportError:  # installed without a C compiler, or not built yet
        return walkers
    if getattr(walkers_compiled, "SOURCE_SHA256", None) != source_sha256():
        return walkers  # built from an older source
    return walkers_compiled


_build = _current_build()
#: True when the walk runs the compiled extension.
COMPILED: bool = _build is not walkers
if TYPE_CHECKING:
    from twin.crowd.walkers import Walked, WalkPlan, walk, walk_plan
else:
    walk, walk_plan = _build.walk, _build.walk_plan
    WalkPlan, Walked = walkers.WalkPlan, walkers.Walked
