"""What every scenario section shares: strict frozen models, times of day, the project's folders."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENARIO = Path("scenarios/kings_cross_weekday.toml")
SECONDS_PER_DAY = 86_400
HOURS_PER_DAY = 24


class StrictModel(BaseModel):
    """Base for every scenario section: unknown keys are errors and values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def parse_clock(value: str) -> float:
    """'HH:MM' (00:00 to 24:00) -> seconds after midnight."""
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", value.strip())
    if not match:
        raise ValueError(f"expected a time of day as HH:MM, got {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes >= 60 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"expected a time of day from 00:00 to 24:00, got {value!r}")
    return float(hours * 3600 + minutes * 60)
