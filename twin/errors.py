"""One exception family for input the twin refuses.

Every refusal names the file, the field or feature, and what is allowed, in one line. The CLI turns
any `TwinInputError` into that line on standard error and exit code 2, without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class TwinInputError(Exception):
    """Bad input from a user: a file, a field, a flag. Rendered as one line; exit code 2."""

    def __init__(self, message: str, *, source: str | Path | None = None) -> None:
        self.message = message
        self.source = str(source) if source is not None else None
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line message shown to the user."""
        return f"{self.source}: {self.message}" if self.source else self.message


class ScenarioError(TwinInputError):
    """A scenario file or override that fails validation."""


class SiteMapError(TwinInputError):
    """A site map that is malformed, invalid as geometry, or not walkable."""


class ProfileError(TwinInputError):
    """A recognition-algorithm profile whose operating points are impossible or contradictory."""


class ResultsError(TwinInputError):
    """A results directory that is missing, incomplete or from another schema version."""
