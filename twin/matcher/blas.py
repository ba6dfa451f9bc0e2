"""The arithmetic kernel under FAISS: chosen safely before FAISS loads, and reported.

faiss-cpu wheels bundle their own OpenBLAS (0.3.15 in faiss-cpu 1.15). That OpenBLAS picks its
matrix-multiply kernel by recognising the processor, and it does not recognise processors newer than
itself: on a Sapphire Rapids Xeon it falls back to "Prescott" (SSE3) kernels and FAISS's exact search
runs about four times below the machine. OpenBLAS reads ``OPENBLAS_CORETYPE`` once, when the library is
loaded, so the choice has to be made before the first ``import faiss``. Forcing a kernel the processor
cannot run would crash it, so this module forces one only when the processor (and the operating
system, which must save the wide registers) really supports its instructions:

- ``SkylakeX`` (AVX-512 kernels) needs AVX512F, AVX512CD, AVX512BW, AVX512DQ and AVX512VL;
- ``Haswell`` (AVX2 kernels) needs AVX, AVX2 and FMA3;
- anything else, or a non-x86 machine, is left to OpenBLAS's own detection;
- a value the user already put in ``OPENBLAS_CORETYPE`` is never overridden.

The features come from numpy's runtime dispatch table, which checks operating-system support too,
falling back to ``/proc/cpuinfo``. Import FAISS only as ``from twin.matcher.blas import faiss`` so this
runs first.

Threads: all matcher arithmetic runs in FAISS's OpenMP team and its OpenMP-threaded BLAS, as wide as
the cores this process may use (FAISS calls BLAS outside its parallel regions, so they never nest).
Single-probe products call that same BLAS (``cblas_sgemv``) rather than numpy's, and numpy's own
BLAS pool is held to one thread: see `configure_threads`.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import platform
import sys
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import threadpoolctl

from twin.cores import usable_cores

CORETYPE_ENV: Final = "OPENBLAS_CORETYPE"
# Set beside CORETYPE_ENV when twin chose it, so child processes (which inherit both) decide again
# instead of taking twin's value for the user's.
CHOSEN_BY_TWIN_ENV: Final = "TWIN_CHOSE_OPENBLAS_CORETYPE"
CPUINFO_PATH: Final = Path("/proc/cpuinfo")
X86_64_MACHINES: Final = frozenset({"x86_64", "amd64"})

# OpenBLAS core types this module may force, best first, with the CPU features each one needs.
CORETYPE_REQUIREMENTS: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    ("SkylakeX", frozenset({"AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL"})),
    ("Haswell", frozenset({"AVX", "AVX2", "FMA3"})),
)

# /proc/cpuinfo flag -> numpy's feature name, for the features above.
_CPUINFO_FLAG_NAMES: Final = {
    "avx512f": "AVX512F",
    "avx512cd": "AVX512CD",
    "avx512bw": "AVX512BW",
    "avx512dq": "AVX512DQ",
    "avx512vl": "AVX512VL",
    "avx": "AVX",
    "avx2": "AVX2",
    "fma": "FMA3",
}

# Rows of a flat search at or above which FAISS uses BLAS (counted as rows x dim, FAISS's unit).
# FAISS 1.15 defaults to 128,000, i.e. 250 probes at d=512, and below that scans the gallery once
# per probe; BLAS is faster for every batch of two or more probes on this kind of machine.
FAISS_BLAS_THRESHOLD_ROW_DIMS: Final = 0


@dataclass(frozen=True)
class KernelChoice:
    """What was decided about ``OPENBLAS_CORETYPE`` before FAISS loaded, and why."""

    coretype: str | None  # the value in force when FAISS's OpenBLAS loaded (None: auto-detect)
    decided_by: str  # "user" | "twin" | "openblas"
    reason: str


def cpu_features() -> frozenset[str]:
    """CPU features this process may use, in numpy's names (e.g. ``AVX512F``, ``FMA3``)."""
    numpy_features: dict[str, bool] = {}
    for module in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            numpy_features = dict(getattr(importlib.import_module(module), "__cpu_features__", {}))
        except ImportError:
            continue
        break
    if numpy_features:
        return frozenset(name for name, present in numpy_features.items() if present)
    return cpuinfo_features(CPUINFO_PATH)


def cpuinfo_features(path: Path) -> frozenset[str]:
    """Features named in a Linux ``/proc/cpuinfo`` ``flags`` line, in numpy's names."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            flags = value.split()
            return frozenset(_CPUINFO_FLAG_NAMES[f] for f in flags if f in _CPUINFO_FLAG_NAMES)
    return frozenset()


def choose_coretype(machine: str, features: frozenset[str]) -> str | None:
    """The best OpenBLAS core type that ``features`` fully support, or None to leave it alone."""
    if machine.lower() not in X86_64_MACHINES:
        return None
    for coretype, needed in CORETYPE_REQUIREMENTS:
        if needed <= features:
            return coretype
    return None


def decide_coretype(
    environ: Mapping[str, str], machine: str, features: frozenset[str]
) -> KernelChoice:
    """Decide the core type without side effects: the user's value wins, then a supported choice."""
    user_value = environ.get(CORETYPE_ENV, "").strip()
    if user_value and user_value == environ.get(CHOSEN_BY_TWIN_ENV):
        user_value = ""  # inherited from a twin parent process, not set by the user
    if user_value:
        return KernelChoice(user_value, "user", f"{CORETYPE_ENV}={user_value} was set by the user")
    chosen = choose_coretype(machine, features)
    if chosen is None:
        return KernelChoice(
            None,
            "openblas",
            f"no forced kernel: {machine} lacks the features of {', '.join(c for c, _ in CORETYPE_REQUIREMENTS)}"
            " (or is not x86-64); OpenBLAS detects the processor itself",
        )
    needed = dict(CORETYPE_REQUIREMENTS)[chosen]
    return KernelChoice(chosen, "twin", f"processor supports {', '.join(sorted(needed))}")


def _configure_before_faiss() -> KernelChoice:
    choice = decide_coretype(os.environ, platform.machine(), cpu_features())
    if "faiss" in sys.modules and choice.decided_by == "twin":
        warnings.warn(
            "faiss was imported before twin.matcher, so its OpenBLAS kernel could not be chosen; "
            "import faiss only through twin.matcher",
            RuntimeWarning,
            stacklevel=3,
        )
        return KernelChoice(None, "openblas", "faiss was imported before twin.matcher")
    if choice.decided_by == "twin" and choice.coretype is not None:
        os.environ[CORETYPE_ENV] = choice.coretype
        os.environ[CHOSEN_BY_TWIN_ENV] = choice.coretype
    return choice


KERNEL_CHOICE: Final = _configure_before_faiss()

import faiss  # noqa: E402  (must follow the core-type choice above)


def configure_threads(n_threads: int | None = None) -> int:
    """Give FAISS (its OpenMP team and its BLAS) ``n_threads`` (default: usable cores); numpy's BLAS 1.

    Call it from each thread that searches: OpenMP's thread count is per calling thread. numpy's own
    OpenBLAS keeps a second pool of busy-waiting workers; interleaved with FAISS's pool on the same
    cores it slowed small searches fifty-fold here, so it runs single-threaded (the matcher does all
    of its arithmetic in FAISS's BLAS).
    """
    n = usable_cores() if n_threads is None else max(1, n_threads)
    faiss.omp_set_num_threads(n)
    controller = threadpoolctl.ThreadpoolController()
    for library in controller.lib_controllers:
        if library.user_api == "blas":
            library.set_num_threads(n if _is_faiss(library.filepath) else 1)
    return n


def _is_faiss(filepath: object) -> bool:
    return "faiss" in str(filepath).lower()


class _FaissGemv:
    """``cblas_sgemv`` from FAISS's own BLAS, so small searches use the same kernel and thread pool."""

    def __init__(self) -> None:
        self._function: Any = None
        path = next(
            (
                i["filepath"]
                for i in threadpoolctl.threadpool_info()
                if i.get("user_api") == "blas" and _is_faiss(i.get("filepath"))
            ),
            None,
        )
        if path is None:
            return
        try:
            library = ctypes.CDLL(path)
            function = library.cblas_sgemv
        except (OSError, AttributeError):
            return
        integer: Any = ctypes.c_int
        try:
            library.openblas_get_config.restype = ctypes.c_char_p
            if b"USE64BITINT" in library.openblas_get_config():
                integer = ctypes.c_int64
        except AttributeError:
            pass
        pointer, real = ctypes.c_void_p, ctypes.c_float
        function.restype = None
        function.argtypes = [integer, integer, integer, integer, real, pointer, integer]
        function.argtypes += [pointer, integer, real, pointer, integer]
        self._function = function

    @property
    def available(self) -> bool:
        return self._function is not None

    def __call__(
        self,
        matrix: npt.NDArray[np.float32],
        vector: npt.NDArray[np.float32],
        out: npt.NDArray[np.float32],
    ) -> None:
        """``out = matrix @ vector`` for C-contiguous float32 ``matrix`` (n, d), ``vector`` (d,)."""
        n, d = matrix.shape
        if self._function is None or n == 0:
            np.matmul(matrix, vector, out=out)
            return
        self._function(
            _CBLAS_ROW_MAJOR, _CBLAS_NO_TRANS, n, d, 1.0, matrix.ctypes.data, d,
            vector.ctypes.data, 1, 0.0, out.ctypes.data, 1,
        )  # fmt: skip


_CBLAS_ROW_MAJOR: Final = 101
_CBLAS_NO_TRANS: Final = 111

matrix_vector_product: Final = _FaissGemv()


def _faiss_libraries() -> list[dict[str, Any]]:
    return [info for info in threadpoolctl.threadpool_info() if _is_faiss(info.get("filepath"))]


def blas_kernel_info() -> dict[str, Any]:
    """Which kernel FAISS's BLAS runs, who chose it, and the thread counts in force (JSON-ready)."""
    faiss_blas = next((i for i in _faiss_libraries() if i.get("user_api") == "blas"), {})
    faiss_openmp = next((i for i in _faiss_libraries() if i.get("user_api") == "openmp"), {})
    numpy_blas: dict[str, Any] = next(
        (
            i
            for i in threadpoolctl.threadpool_info()
            if i.get("user_api") == "blas" and "numpy" in str(i.get("filepath", "")).lower()
        ),
        {},
    )
    return {
        "faiss_version": faiss.__version__,
        "faiss_blas": faiss_blas.get("internal_api"),
        "faiss_blas_version": faiss_blas.get("version"),
        "faiss_blas_architecture": faiss_blas.get("architecture"),
        "faiss_blas_threads": faiss_blas.get("num_threads"),
        "faiss_openmp_threads": faiss_openmp.get("num_threads"),
        "numpy_blas_architecture": numpy_blas.get("architecture"),
        "numpy_blas_threads": numpy_blas.get("num_threads"),
        "coretype_choice": asdict(KERNEL_CHOICE),
        "usable_cores": usable_cores(),
        "machine": platform.machine(),
        "numpy_version": np.__version__,
    }


def kernel_summary() -> str:
    """One line naming FAISS's BLAS kernel, e.g. ``OpenBLAS 0.3.15 SkylakeX (set by twin), 2 threads``."""
    info = blas_kernel_info()
    by = {"user": "set by user", "twin": "set by twin", "openblas": "auto-detected"}[
        info["coretype_choice"]["decided_by"]
    ]
    return (
        f"{info['faiss_blas'] or 'BLAS'} {info['faiss_blas_version']} "
        f"{info['faiss_blas_architecture']} ({by}), {info['faiss_blas_threads']} threads"
    )


faiss.cvar.distance_compute_blas_threshold = FAISS_BLAS_THRESHOLD_ROW_DIMS
configure_threads()

__all__ = [
    "KERNEL_CHOICE",
    "KernelChoice",
    "blas_kernel_info",
    "choose_coretype",
    "configure_threads",
    "cpu_features",
    "decide_coretype",
    "faiss",
    "kernel_summary",
    "matrix_vector_product",
    "usable_cores",
]
