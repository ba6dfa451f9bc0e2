"""Site-map feature properties: one pydantic model per kind, validated once at the border.

Each ``kind`` of docs/site_map_profile.md has a model here stating every property's unit, range
and default; :func:`validate_properties` checks a feature's properties against its kind's model
and turns the first problem into one :class:`~twin.errors.SiteMapError` line in the scenario's
manner: the file, the feature (``camera 'cam-1'``, or its index when it has no id), the property,
the value given and what is allowed. Properties the profile does not name (``osm_id``, ``note``,
``source``, ...) are kept out of the models and ignored. Values are strict: ``true`` is not a
number, ``"4"`` is not a count of pixels.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from twin.errors import SiteMapError

__all__ = [
    "DEFAULT_FPS",
    "DEFAULT_MOUNT_HEIGHT_M",
    "DEFAULT_RANGE_M",
    "DEFAULT_TILT_DEG",
    "DEFAULT_WALKWAY_WIDTH_M",
    "MAX_MOUNT_HEIGHT_M",
    "PROPERTY_MODELS",
    "BoundaryProperties",
    "BuildingProperties",
    "CameraProperties",
    "EntranceProperties",
    "FeatureProperties",
    "OpenSpaceProperties",
    "WalkwayProperties",
    "validate_properties",
]

# Defaults and limits of the site-map profile (docs/site_map_profile.md).
DEFAULT_MOUNT_HEIGHT_M: Final = 4.0
DEFAULT_TILT_DEG: Final = 10.0
DEFAULT_FPS: Final = 25.0
DEFAULT_RANGE_M: Final = 40.0
MAX_MOUNT_HEIGHT_M: Final = 30.0
#: Walkway width when the map does not say, m.
DEFAULT_WALKWAY_WIDTH_M: Final = 3.0


def _allowed(text: str, **constraints: Any) -> Any:
    """A field whose ``description`` is the "allowed:" part of its error line."""
    return Field(description=text, **constraints)


FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Text = Annotated[str, _allowed("a string")]
Id = Annotated[str, _allowed("a non-empty string, unique in the file", min_length=1, pattern=r"\S")]


class FeatureProperties(BaseModel):
    """What every feature's properties share: a kind; unknown properties are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    kind: str


class BoundaryProperties(FeatureProperties):
    """The site's outline (exactly one)."""

    kind: Literal["boundary"]
    name: Text = ""


class BuildingProperties(FeatureProperties):
    """A building: blocks walking and line of sight."""

    kind: Literal["building"]
    name: Text = ""


class OpenSpaceProperties(FeatureProperties):
    """A square, park, water or other open space (drawn)."""

    kind: Literal["open_space"]
    name: Text = ""
    use: Text = "open"


class WalkwayProperties(FeatureProperties):
    """A line of the walk network, with its walkable width (m) and, from OpenStreetMap, its way."""

    kind: Literal["walkway"]
    name: Text = ""
    width_m: Annotated[float, _allowed("metres > 0", gt=0.0, allow_inf_nan=False)] = (
        DEFAULT_WALKWAY_WIDTH_M
    )
    highway: Annotated[
        str | None, _allowed("an OpenStreetMap highway value (footway, steps, ...)")
    ] = None
    level: Annotated[str | None, _allowed("an OpenStreetMap level, e.g. '0' or '-1'")] = None
    tunnel: Annotated[str | None, _allowed("an OpenStreetMap tunnel value, e.g. 'yes'")] = None
    bridge: Annotated[str | None, _allowed("an OpenStreetMap bridge value, e.g. 'yes'")] = None


class EntranceProperties(FeatureProperties):
    """A gateway (where people enter and leave) or a destination (where they go)."""

    kind: Literal["entrance"]
    id: Id
    name: Text | None = None
    role: Annotated[Literal["gateway", "destination"], _allowed("'gateway' or 'destination'")]
    weight: Annotated[float, _allowed("a finite number > 0", gt=0.0, allow_inf_nan=False)]


class CameraProperties(FeatureProperties):
    """One camera: position comes from the geometry; these are its aim, lens, sensor and mount."""

    kind: Literal["camera"]
    id: Id
    name: Text | None = None
    heading_deg: Annotated[float, _allowed("a finite compass bearing", allow_inf_nan=False)]
    hfov_deg: Annotated[float | None, _allowed("degrees in (0, 180)", gt=0.0, lt=180.0)] = None
    focal_length_mm: Annotated[
        float | None, _allowed("millimetres > 0", gt=0.0, allow_inf_nan=False)
    ] = None
    sensor_width_mm: Annotated[
        float | None, _allowed("millimetres > 0", gt=0.0, allow_inf_nan=False)
    ] = None
    width_px: Annotated[int, _allowed("a whole number of pixels > 0", gt=0)]
    height_px: Annotated[int, _allowed("a whole number of pixels > 0", gt=0)]
    mount_height_m: Annotated[
        float, _allowed("metres in (0, 30]", gt=0.0, le=MAX_MOUNT_HEIGHT_M)
    ] = DEFAULT_MOUNT_HEIGHT_M
    tilt_deg: Annotated[float, _allowed("degrees in [0, 90)", ge=0.0, lt=90.0)] = DEFAULT_TILT_DEG
    fps: Annotated[float, _allowed("frames per second > 0", gt=0.0, allow_inf_nan=False)] = (
        DEFAULT_FPS
    )
    range_m: Annotated[float, _allowed("metres > 0", gt=0.0, allow_inf_nan=False)] = DEFAULT_RANGE_M
    recognition_capable: Annotated[bool, _allowed("true or false")] = False
    tags: Annotated[list[str], _allowed("a list of strings")] = []

    @model_validator(mode="after")
    def _one_lens(self) -> CameraProperties:
        focal = self.focal_length_mm is not None or self.sensor_width_mm is not None
        if focal and self.hfov_deg is not None:
            raise ValueError(
                "both 'hfov_deg' and 'focal_length_mm'/'sensor_width_mm' given; allowed: one way "
                "of stating the lens"
            )
        if focal and (self.focal_length_mm is None or self.sensor_width_mm is None):
            missing = "sensor_width_mm" if self.sensor_width_mm is None else "focal_length_mm"
            raise ValueError(
                f"'{missing}' is required with the other; allowed: focal_length_mm and "
                "sensor_width_mm, both millimetres > 0"
            )
        if not focal and self.hfov_deg is None:
            raise ValueError(
                "'hfov_deg' is required; allowed: degrees in (0, 180), or focal_length_mm and "
                "sensor_width_mm"
            )
        return self


PROPERTY_MODELS: Final[Mapping[str, type[FeatureProperties]]] = {
    "boundary": BoundaryProperties,
    "building": BuildingProperties,
    "open_space": OpenSpaceProperties,
    "walkway": WalkwayProperties,
    "entrance": EntranceProperties,
    "camera": CameraProperties,
}

M = TypeVar("M", bound=FeatureProperties)


def validate_properties(
    model: type[M], props: Mapping[str, Any], *, source: str | Path, index: int | None = None
) -> M:
    """``props`` as ``model``; the first problem refused as one line naming the feature."""
    try:
        return model.model_validate(dict(props))
    except ValidationError as exc:
        raise SiteMapError(_error_line(exc, props, index), source=source) from exc


def _error_line(exc: ValidationError, props: Mapping[str, Any], index: int | None) -> str:
    """ "<feature>: '<field>' is <value>; allowed: <...>" for the first error of ``exc``."""
    kind, feature_id = props.get("kind"), props.get("id")
    if isinstance(feature_id, str) and feature_id.strip():
        label = f"{kind} {feature_id!r}"
    else:
        named = f" ({kind})" if isinstance(kind, str) else ""
        label = f"feature {index}{named}" if index is not None else str(kind)
    error = exc.errors()[0]
    if not error["loc"]:  # a model validator: its message is the whole line
        return f"{label}: {error['ctx']['error'] if 'ctx' in error else error['msg']}"
    field = str(error["loc"][0])
    model_field = _field_description(props.get("kind"), field)
    if error["type"] == "missing":
        return f"{label}: '{field}' is required; allowed: {model_field}"
    return f"{label}: '{field}' is {props.get(field)!r}; allowed: {model_field}"


def _field_description(kind: Any, field: str) -> str:
    model = PROPERTY_MODELS.get(kind) if isinstance(kind, str) else None
    found = model.model_fields.get(field) if model is not None else None
    if found is None or found.description is None:
        return "see docs/site_map_profile.md"
    return found.description
