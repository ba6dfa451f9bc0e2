"""Refusals from the matcher: bad embeddings, unknown identities, damaged gallery files.

Each is a `TwinInputError` (one line, exit code 2 at the CLI) and a `ValueError`, so library callers
can catch either. Messages say what was wrong and what is allowed.
"""

from __future__ import annotations

from twin.errors import TwinInputError


class MatcherInputError(TwinInputError, ValueError):
    """Embeddings, ids or parameters the matcher refuses: wrong shape, dtype, NaN/inf, zero vectors."""


class UnknownIdentityError(MatcherInputError):
    """An identity id that is not on the watchlist (e.g. asked to remove it)."""

    def __init__(self, missing_ids: list[int], *, message: str | None = None) -> None:
        self.missing_ids = missing_ids
        shown = ", ".join(str(i) for i in missing_ids[:10])
        more = f" and {len(missing_ids) - 10} more" if len(missing_ids) > 10 else ""
        super().__init__(message or f"unknown identity id(s) not on the watchlist: {shown}{more}")


class DuplicateIdentityError(MatcherInputError):
    """An identity id that is already on the watchlist, or repeated within one add."""


class GalleryFileError(TwinInputError, ValueError):
    """A saved gallery file that is missing, truncated, of another format, or fails its checksum."""


class ServiceError(Exception):
    """The matcher service could not answer: unreachable, refused the token, or failed."""


class ServiceBusyError(ServiceError):
    """The service's queue is full or it is shutting down; retry after ``retry_after_s`` seconds."""

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message)


class ServiceAuthError(ServiceError):
    """The service wants a bearer token and got none or the wrong one."""
