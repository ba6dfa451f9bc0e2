"""Scenarios: the validated, frozen description of one what-if.

A scenario is a human-written TOML file (see ``scenarios/`` and ``docs/scenarios.md``). It names a site
map, the crowd that walks it, which cameras run recognition, the synthetic faces and watchlist, the
matcher and the recognition pipeline. Every field has a unit in its name or its description and a
default; `load_scenario` validates the file once, at the border, and everything downstream trusts the
frozen `Scenario` it returns.

Overrides (``--set crowd.daily_pedestrians=150000``) are applied to the raw TOML before validation, so
they are checked by the same rules as the file.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError

from twin.errors import ScenarioError
from twin.scenario.assumptions import AssumptionRange
from twin.scenario.base import DEFAULT_SCENARIO, PROJECT_ROOT, StrictModel
from twin.scenario.calendar import CalendarConfig
from twin.scenario.cameras import CamerasConfig
from twin.scenario.crowd import CrowdConfig, SiteConfig
from twin.scenario.faces import FacesConfig, PopulationConfig, WatchlistConfig
from twin.scenario.recognition import LoadtestConfig, MatcherConfig, PipelineConfig
from twin.scenario.response import ResponseConfig


class Scenario(StrictModel):
    """One complete what-if: site, crowd, cameras, faces, watchlist, matcher and pipeline."""

    name: Annotated[str, Field(min_length=1, max_length=200)] = "unnamed scenario"
    description: str = ""
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    site: SiteConfig = Field(default_factory=SiteConfig)
    crowd: CrowdConfig = Field(default_factory=CrowdConfig)
    cameras: CamerasConfig = Field(default_factory=CamerasConfig)
    faces: FacesConfig = Field(default_factory=FacesConfig)
    watchlist: WatchlistConfig = Field(default_factory=WatchlistConfig)
    population: PopulationConfig = Field(default_factory=PopulationConfig)
    matcher: MatcherConfig = Field(default_factory=MatcherConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    response: ResponseConfig = Field(default_factory=ResponseConfig)
    loadtest: LoadtestConfig = Field(default_factory=LoadtestConfig)
    calendar: CalendarConfig = Field(default_factory=CalendarConfig)
    assumptions: dict[str, AssumptionRange] = Field(
        default_factory=dict,
        description=(
            "The plausible range of each *assumption*, by the dotted key of the field it sets "
            "(twin/scenario/assumptions.py); sampled by `twin uncertainty`."
        ),
    )
    source: Path | None = Field(default=None, exclude=True, description="The file it came from.")

    def resolved(self) -> dict[str, Any]:
        """The scenario as plain JSON-ready data, with the site map and camera layer paths absolute."""
        data = self.model_dump(mode="json")
        data["site"]["map"] = str(self.site_map_path)
        layer = self.camera_layer_path
        data["site"]["cameras"] = str(layer) if layer is not None else None
        return data

    def sha256(self) -> str:
        """Hash of the resolved scenario (file paths excluded, the files' content included)."""
        data = self.model_dump(mode="json")
        data["site"]["map"] = hashlib.sha256(self.site_map_path.read_bytes()).hexdigest()
        layer = self.camera_layer_path
        if layer is not None and layer.is_file():
            data["site"]["cameras"] = hashlib.sha256(layer.read_bytes()).hexdigest()
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def site_map_path(self) -> Path:
        """The site map, resolved against the scenario file's folder."""
        return self._resolve(self.site.map)

    @property
    def camera_layer_path(self) -> Path | None:
        """The camera layer replacing the map's cameras, if any, resolved like the map."""
        return self._resolve(self.site.cameras) if self.site.cameras is not None else None

    def _resolve(self, path: Path) -> Path:
        base = self.source.parent if self.source is not None else Path.cwd()
        return (base / path).resolve()


def _set_dotted(data: dict[str, Any], dotted: str, value: Any, *, source: str) -> None:
    keys = dotted.split(".")
    node: Any = data
    for key in keys[:-1]:
        child = node.get(key)
        if child is None:
            child = {}
            node[key] = child
        if not isinstance(child, dict):
            raise ScenarioError(f"--set {dotted}: {key} is not a section", source=source)
        node = child
    node[keys[-1]] = value


def parse_override(text: str) -> tuple[str, Any]:
    """'a.b=value' -> ('a.b', value), the value read as TOML (numbers, booleans, lists, strings)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", key):
        raise ScenarioError(
            f"--set {text!r}: expected KEY=VALUE with a dotted key, e.g. crowd.daily_pedestrians=150000"
        )
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def format_validation_error(exc: ValidationError, *, reference: str = "docs/scenarios.md") -> str:
    """One line for a pydantic error: the field's dotted path, what is wrong, the value given."""
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = f"unknown key (see {reference} for the allowed keys)"
    given = first.get("input")
    shown = (
        "" if isinstance(given, dict | list) or first["type"] == "missing" else f" (got {given!r})"
    )
    more = len(exc.errors()) - 1
    suffix = f"; and {more} more problem{'s' if more > 1 else ''}" if more else ""
    return f"{location}: {message}{shown}{suffix}"


def scenario_from_dict(
    data: dict[str, Any],
    *,
    source: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    label: str | None = None,
) -> Scenario:
    """Validate raw scenario data (after applying ``--set`` overrides) into a frozen Scenario.

    ``source`` is the file the data came from (relative paths inside resolve against its folder);
    ``label`` is how error messages name it (default: the source path).
    """
    label = label or (str(source) if source is not None else "scenario")
    data = json.loads(json.dumps(data, default=str))  # a deep copy that the overrides may edit
    for text in overrides:
        key, value = parse_override(text)
        _set_dotted(data, key, value, source=label)
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc), source=label) from exc
    if not scenario.site_map_path.is_file():
        raise ScenarioError(
            f"site.map: no site map at {scenario.site_map_path} (paths are relative to the scenario file)",
            source=label,
        )
    return scenario


def find_scenario(path: str | Path | None) -> Path:
    """The scenario file to use: the given path, or the default King's Cross weekday."""
    if path is None:
        for candidate in (DEFAULT_SCENARIO, PROJECT_ROOT / DEFAULT_SCENARIO):
            if candidate.is_file():
                return candidate
        raise ScenarioError(
            f"no scenario given and {DEFAULT_SCENARIO} not found; name a scenario file"
        )
    return Path(path)


def load_scenario(
    path: str | Path | None = None, *, overrides: list[str] | tuple[str, ...] = ()
) -> Scenario:
    """Read, override and validate a scenario TOML file. Raises ScenarioError with one clear line."""
    scenario_path = find_scenario(path)
    try:
        text = scenario_path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ScenarioError("no such scenario file", source=scenario_path) from exc
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"cannot read the scenario file: {exc}", source=scenario_path) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"not valid TOML: {exc}", source=scenario_path) from exc
    return scenario_from_dict(
        data, source=scenario_path.resolve(), overrides=overrides, label=str(scenario_path)
    )
