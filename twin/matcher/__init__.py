"""The matcher: the real FAISS search of face probes against a watchlist gallery.

Importing this package first chooses FAISS's BLAS kernel (`twin.matcher.blas`), before FAISS loads;
import FAISS anywhere in the project only as ``from twin.matcher.blas import faiss``.
"""

from __future__ import annotations

from twin.matcher.backends import BACKENDS, BackendName, BackendParams
from twin.matcher.blas import blas_kernel_info, configure_threads, kernel_summary
from twin.matcher.core import Matcher, SearchResult, WatchlistEntry
from twin.matcher.errors import (
    DuplicateIdentityError,
    GalleryFileError,
    MatcherInputError,
    UnknownIdentityError,
)
from twin.matcher.timing import ServiceTimeTable, measure_service_times

__all__ = [
    "BACKENDS",
    "BackendName",
    "BackendParams",
    "DuplicateIdentityError",
    "GalleryFileError",
    "Matcher",
    "MatcherInputError",
    "SearchResult",
    "ServiceTimeTable",
    "UnknownIdentityError",
    "WatchlistEntry",
    "blas_kernel_info",
    "configure_threads",
    "kernel_summary",
    "measure_service_times",
]
