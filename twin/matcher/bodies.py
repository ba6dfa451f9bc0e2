"""The matcher service's request bodies as strict pydantic models: no coercion at the border.

JSON is parsed and validated in one step by pydantic's own parser (``model_validate_json``), which
refuses nesting deeper than its recursion limit and numbers out of float range, so a hostile body
can cost a 400 but never a crash. Strict mode means ``1.9``, ``true`` or ``"2"`` are never turned
into identity 1, 1 or 2, and ``true`` is never searched as the number 1; unknown fields are refused.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from twin.matcher.inputs import MAX_K

__all__ = [
    "MAX_ID",
    "EnrolBody",
    "RemoveBody",
    "SearchBody",
    "ValidationError",
    "describe",
]

MAX_ID: Final = 2**63 - 1  # identity ids are int64; -1 marks "no match" in results
MAX_PROVENANCE_CHARS: Final = 1000

IdentityId = Annotated[int, Field(ge=0, le=MAX_ID)]
Embedding = list[float]


class _StrictBody(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class SearchBody(_StrictBody):
    """``POST /v1/search`` as JSON: probes and, optionally, k and a cosine threshold."""

    probes: list[Embedding]
    k: Annotated[int, Field(ge=1, le=MAX_K)] | None = None
    threshold: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None


class EnrolBody(_StrictBody):
    """``POST /v1/watchlist``: one non-negative int64 id per embedding."""

    ids: Annotated[list[IdentityId], Field(min_length=1)]
    embeddings: list[Embedding]
    provenance: Annotated[str, Field(max_length=MAX_PROVENANCE_CHARS)] = ""
    expires: dt.date | None = None


class RemoveBody(_StrictBody):
    """``POST /v1/watchlist/remove``: the ids to remove, all or none."""

    ids: Annotated[list[IdentityId], Field(min_length=1)]


def describe(error: ValidationError) -> str:
    """One line for the first problem pydantic found: where, what, and the value it got."""
    errors = error.errors(include_url=False)
    first = next((e for e in errors if e["type"] == "missing"), errors[0])
    if first["type"] == "json_invalid":
        return f"malformed JSON: {first['msg'].removeprefix('Invalid JSON: ')}"
    where = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"])
    where = where.lstrip(".") or "body"
    got = repr(first.get("input"))
    shown = got if len(got) <= 40 else got[:37] + "..."
    more = error.error_count() - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    if first["type"] in {"missing", "extra_forbidden"}:
        return f"{where}: {first['msg'].lower()}{tail}"
    return f"{where}: {first['msg'].lower()}, got {shown}{tail}"
