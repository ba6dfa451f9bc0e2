"""Scenarios: the validated, frozen description of one what-if.

A scenario is a human-written TOML file (``scenarios/``, documented in docs/scenarios.md). Each section
has its own module here; `load_scenario` validates a file once, at the border, and everything
downstream trusts the frozen `Scenario` it returns.
"""

from twin.scenario.assumptions import DISTRIBUTIONS, AssumptionRange
from twin.scenario.base import (
    DEFAULT_SCENARIO,
    HOURS_PER_DAY,
    PROJECT_ROOT,
    SECONDS_PER_DAY,
    StrictModel,
    parse_clock,
)
from twin.scenario.calendar import WEEKDAYS, CalendarConfig, Weekday
from twin.scenario.cameras import CamerasConfig
from twin.scenario.crowd import (
    INBOUND_WEEKDAY,
    INTERNAL_WEEKDAY,
    OUTBOUND_WEEKDAY,
    THROUGH_WEEKDAY,
    CapacityConfig,
    CrowdConfig,
    CrowdEvent,
    DwellConfig,
    GroupsConfig,
    RoutesConfig,
    SiteConfig,
    Timetable,
    TripKind,
    TripKindName,
)
from twin.scenario.document import (
    Scenario,
    find_scenario,
    format_validation_error,
    load_scenario,
    parse_override,
    scenario_from_dict,
)
from twin.scenario.faces import (
    FacesConfig,
    GroupConfig,
    PersonKind,
    PersonKindName,
    PopulationConfig,
    WatchlistConfig,
)
from twin.scenario.recognition import LoadtestConfig, MatcherConfig, PipelineConfig
from twin.scenario.response import PostConfig, ProvenanceConfig, ResponseConfig

__all__ = [
    "DEFAULT_SCENARIO",
    "DISTRIBUTIONS",
    "HOURS_PER_DAY",
    "INBOUND_WEEKDAY",
    "INTERNAL_WEEKDAY",
    "OUTBOUND_WEEKDAY",
    "PROJECT_ROOT",
    "SECONDS_PER_DAY",
    "THROUGH_WEEKDAY",
    "WEEKDAYS",
    "AssumptionRange",
    "CalendarConfig",
    "CamerasConfig",
    "CapacityConfig",
    "CrowdConfig",
    "CrowdEvent",
    "DwellConfig",
    "FacesConfig",
    "GroupConfig",
    "GroupsConfig",
    "LoadtestConfig",
    "MatcherConfig",
    "PersonKind",
    "PersonKindName",
    "PipelineConfig",
    "PopulationConfig",
    "PostConfig",
    "ProvenanceConfig",
    "ResponseConfig",
    "RoutesConfig",
    "Scenario",
    "SiteConfig",
    "StrictModel",
    "Timetable",
    "TripKind",
    "TripKindName",
    "WatchlistConfig",
    "Weekday",
    "find_scenario",
    "format_validation_error",
    "load_scenario",
    "parse_clock",
    "parse_override",
    "scenario_from_dict",
]
