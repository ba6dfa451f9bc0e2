"""The results schema: table names, column names, the manifest's file name and the schema version.

One module names everything a results directory holds, so the code that writes a run and every reader
of it (the dashboard, ``twin report``, ``twin compare``, sweeps) spell each name the same way, in the
manner of PedPy's column identifiers: a column is ``TIME_S_COL``, never the literal ``"time_s"``. The
human-readable schema, column by column with units, is docs/results.md; tests/results/test_schema.py
holds the two to each other and to what a run really writes.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

#: Version of the results format; readers refuse any other.
SCHEMA_VERSION: Final = 1
#: The manifest's file name, in the root of every results directory.
MANIFEST: Final = "manifest.json"
#: The manifest's ``status`` once every table is written.
STATUS_COMPLETE: Final = "complete"
#: The copy of the site map a run keeps, so that readers never open a file outside the run.
SITE_MAP_FILE: Final = "site_map.geojson"
#: Suffix of every table's file.
TABLE_SUFFIX: Final = ".parquet"

# Table names; each is stored as NAME.parquet.
DECISIONS: Final = "decisions"
ALERTS: Final = "alerts"
TIMESERIES: Final = "timeseries"
CAMERAS: Final = "cameras"
PEDESTRIANS: Final = "pedestrians"
ID_PROBABILITY: Final = "id_probability"
INCIDENTS: Final = "incidents"
INTERVENTIONS: Final = "interventions"
FUNNEL: Final = "funnel"
PEOPLE: Final = "people"
WALKWAY_DENSITY: Final = "walkway_density"
BOTTLENECK_QUEUES: Final = "bottleneck_queues"
#: The tables a run writes, in the order docs/results.md lists them.
TABLES: Final = (
    DECISIONS, ALERTS, TIMESERIES, CAMERAS, PEDESTRIANS, ID_PROBABILITY, PEOPLE, WALKWAY_DENSITY,
    BOTTLENECK_QUEUES,
)  # fmt: skip
#: The tables of the response after the alert (docs/response.md).
RESPONSE_TABLES: Final = (INCIDENTS, INTERVENTIONS, FUNNEL)

# Column names (docs/results.md gives each one's meaning and unit).
SEARCH_ID_COL: Final = "search_id"
TIME_S_COL: Final = "time_s"
CAMERA_ID_COL: Final = "camera_id"
PEDESTRIAN_COL: Final = "pedestrian"
PERSON_COL: Final = "person"
PERSON_ID_COL: Final = "person_id"
WATCHLISTED_COL: Final = "watchlisted"
FIRST_START_S_COL: Final = "first_start_s"
VISITS_COL: Final = "visits"
STOPS_COL: Final = "stops"
WRONG_STOPS_COL: Final = "wrong_stops"
SUBJECT_COL: Final = "subject"
GROUP_COL: Final = "group"
MATED_COL: Final = "mated"
PX_PER_M_COL: Final = "px_per_m"
DISTANCE_M_COL: Final = "distance_m"
HEAD_YAW_DEG_COL: Final = "head_yaw_deg"
QUALITY_COL: Final = "quality"
IN_VIEW_COL: Final = "in_view"
FRAMES_IN_VIEW_COL: Final = "frames_in_view"
PITCH_DEG_COL: Final = "pitch_deg"
DENSITY_PED_M2_COL: Final = "density_ped_m2"
OCCLUSION_COL: Final = "occlusion"
LIGHTING_COL: Final = "lighting"
BLUR_PX_COL: Final = "blur_px"
TOP1_ID_COL: Final = "top1_id"
TOP1_SCORE_COL: Final = "top1_score"
MATE_SCORE_COL: Final = "mate_score"
OUTCOME_COL: Final = "outcome"
BATCH_ID_COL: Final = "batch_id"
BATCH_SIZE_COL: Final = "batch_size"
QUEUE_MS_COL: Final = "queue_ms"
SERVICE_MS_COL: Final = "service_ms"
LATENCY_MS_COL: Final = "latency_ms"
MINUTE_COL: Final = "minute"
START_S_COL: Final = "start_s"
PEDESTRIANS_DEPARTED_COL: Final = "pedestrians_departed"
PASSES_COL: Final = "passes"
CAPTURES_COL: Final = "captures"
SEARCHES_COL: Final = "searches"
TRUE_ALERTS_COL: Final = "true_alerts"
FALSE_ALERTS_COL: Final = "false_alerts"
ALERTS_COL: Final = "alerts"
QUEUE_DEPTH_MAX_COL: Final = "queue_depth_max"
LATENCY_P50_MS_COL: Final = "latency_p50_ms"
LATENCY_P99_MS_COL: Final = "latency_p99_ms"
MATCHER_BUSY_FRACTION_COL: Final = "matcher_busy_fraction"
NAME_COL: Final = "name"
X_M_COL: Final = "x_m"
Y_M_COL: Final = "y_m"
HEADING_DEG_COL: Final = "heading_deg"
HFOV_DEG_COL: Final = "hfov_deg"
WIDTH_PX_COL: Final = "width_px"
MOUNT_HEIGHT_M_COL: Final = "mount_height_m"
RECOGNITION_CAPABLE_COL: Final = "recognition_capable"
RECOGNITION_COL: Final = "recognition"
TAGS_COL: Final = "tags"
END_S_COL: Final = "end_s"
ORIGIN_COL: Final = "origin"
DESTINATION_COL: Final = "destination"
KIND_COL: Final = "kind"
SPEED_M_S_COL: Final = "speed_m_s"
ROUTE_LENGTH_M_COL: Final = "route_length_m"
PROBABILITY_COL: Final = "probability"
INCIDENT_COL: Final = "incident"
WATCHLIST_ID_COL: Final = "watchlist_id"
FIRST_S_COL: Final = "first_s"
LAST_S_COL: Final = "last_s"
SEARCH_IDS_COL: Final = "search_ids"
CAMERAS_COL: Final = "cameras"
QUEUED_S_COL: Final = "queued_s"
LOST_REASON_COL: Final = "lost_reason"
REVIEW_START_S_COL: Final = "review_start_s"
REVIEW_END_S_COL: Final = "review_end_s"
CREDIBLE_P_COL: Final = "credible_p"
JUDGED_CREDIBLE_COL: Final = "judged_credible"
CLOSED_S_COL: Final = "closed_s"
RIGHT_PERSON_COL: Final = "right_person"
OFFICER_COL: Final = "officer"
POST_COL: Final = "post"
TARGET_SEARCH_ID_COL: Final = "target_search_id"
TARGET_CAMERA_ID_COL: Final = "target_camera_id"
DISPATCHED_S_COL: Final = "dispatched_s"
ARRIVAL_S_COL: Final = "arrival_s"
TRAVEL_M_COL: Final = "travel_m"
INTERCEPTED_S_COL: Final = "intercepted_s"
HOUR_COL: Final = "hour"
INCIDENTS_COL: Final = "incidents"
EXPIRED_COL: Final = "expired"
REVIEWED_COL: Final = "reviewed"
DISMISSED_COL: Final = "dismissed"
CREDIBLE_COL: Final = "credible"
DISPATCHED_COL: Final = "dispatched"
INTERCEPTED_COL: Final = "intercepted"
WRONG_PERSON_COL: Final = "wrong_person"
LOST_COL: Final = "lost"
OPERATOR_BUSY_S_COL: Final = "operator_busy_s"
OPERATOR_UTILISATION_COL: Final = "operator_utilisation"
WALKWAY_COL: Final = "walkway"
NODE_A_COL: Final = "node_a"
NODE_B_COL: Final = "node_b"
WIDTH_M_COL: Final = "width_m"
MINUTE_S_COL: Final = "minute_s"
ENTERED_COL: Final = "entered"
HELD_BACK_COL: Final = "held_back"
MEAN_HOLD_S_COL: Final = "mean_hold_s"
LEVEL_OF_SERVICE_COL: Final = "level_of_service"
BOTTLENECK_COL: Final = "bottleneck"
PASSED_COL: Final = "passed"
MAX_QUEUE_COL: Final = "max_queue"
MEAN_WAIT_S_COL: Final = "mean_wait_s"

DECISIONS_COLUMNS: Final = (
    SEARCH_ID_COL, TIME_S_COL, CAMERA_ID_COL, PEDESTRIAN_COL, PERSON_COL, SUBJECT_COL, GROUP_COL,
    MATED_COL, PX_PER_M_COL, DISTANCE_M_COL, HEAD_YAW_DEG_COL, QUALITY_COL, IN_VIEW_COL, FRAMES_IN_VIEW_COL,
    PITCH_DEG_COL, DENSITY_PED_M2_COL, OCCLUSION_COL, LIGHTING_COL, BLUR_PX_COL, TOP1_ID_COL,
    TOP1_SCORE_COL, MATE_SCORE_COL, OUTCOME_COL, BATCH_ID_COL, BATCH_SIZE_COL, QUEUE_MS_COL,
    SERVICE_MS_COL, LATENCY_MS_COL,
)  # fmt: skip
TIMESERIES_COLUMNS: Final = (
    MINUTE_COL, START_S_COL, PEDESTRIANS_DEPARTED_COL, PASSES_COL, CAPTURES_COL, SEARCHES_COL,
    TRUE_ALERTS_COL, FALSE_ALERTS_COL, ALERTS_COL, QUEUE_DEPTH_MAX_COL, LATENCY_P50_MS_COL,
    LATENCY_P99_MS_COL, MATCHER_BUSY_FRACTION_COL,
)  # fmt: skip
CAMERAS_COLUMNS: Final = (
    CAMERA_ID_COL, NAME_COL, X_M_COL, Y_M_COL, HEADING_DEG_COL, HFOV_DEG_COL, WIDTH_PX_COL,
    MOUNT_HEIGHT_M_COL, RECOGNITION_CAPABLE_COL, RECOGNITION_COL, TAGS_COL, PASSES_COL, CAPTURES_COL,
    SEARCHES_COL, TRUE_ALERTS_COL, FALSE_ALERTS_COL,
)  # fmt: skip
PEDESTRIANS_COLUMNS: Final = (
    PEDESTRIAN_COL, PERSON_COL, START_S_COL, END_S_COL, ORIGIN_COL, DESTINATION_COL, KIND_COL,
    SPEED_M_S_COL, ROUTE_LENGTH_M_COL, GROUP_COL, SUBJECT_COL, PASSES_COL, CAPTURES_COL, SEARCHES_COL,
    TRUE_ALERTS_COL,
)  # fmt: skip
ID_PROBABILITY_COLUMNS: Final = (X_M_COL, Y_M_COL, PROBABILITY_COL)
INCIDENTS_COLUMNS: Final = (
    INCIDENT_COL, WATCHLIST_ID_COL, FIRST_S_COL, LAST_S_COL, ALERTS_COL, TRUE_ALERTS_COL,
    SEARCH_IDS_COL, CAMERAS_COL, QUEUED_S_COL, OUTCOME_COL, LOST_REASON_COL, REVIEW_START_S_COL,
    REVIEW_END_S_COL, CREDIBLE_P_COL, JUDGED_CREDIBLE_COL, CLOSED_S_COL, RIGHT_PERSON_COL,
)  # fmt: skip
INTERVENTIONS_COLUMNS: Final = (
    INCIDENT_COL, WATCHLIST_ID_COL, OFFICER_COL, POST_COL, TARGET_SEARCH_ID_COL,
    TARGET_CAMERA_ID_COL, DISPATCHED_S_COL, ARRIVAL_S_COL, TRAVEL_M_COL, OUTCOME_COL,
    LOST_REASON_COL, INTERCEPTED_S_COL, PEDESTRIAN_COL, GROUP_COL, RIGHT_PERSON_COL,
)  # fmt: skip
FUNNEL_COLUMNS: Final = (
    HOUR_COL, START_S_COL, ALERTS_COL, TRUE_ALERTS_COL, FALSE_ALERTS_COL, INCIDENTS_COL, EXPIRED_COL,
    REVIEWED_COL, DISMISSED_COL, CREDIBLE_COL, DISPATCHED_COL, INTERCEPTED_COL, RIGHT_PERSON_COL,
    WRONG_PERSON_COL, LOST_COL, OPERATOR_BUSY_S_COL, OPERATOR_UTILISATION_COL,
)  # fmt: skip
PEOPLE_COLUMNS: Final = (
    PERSON_COL, PERSON_ID_COL, KIND_COL, GROUP_COL, SUBJECT_COL, WATCHLISTED_COL, FIRST_START_S_COL,
    VISITS_COL, CAPTURES_COL, SEARCHES_COL, TRUE_ALERTS_COL, FALSE_ALERTS_COL, STOPS_COL,
    WRONG_STOPS_COL,
)  # fmt: skip
WALKWAY_DENSITY_COLUMNS: Final = (
    WALKWAY_COL, NODE_A_COL, NODE_B_COL, NAME_COL, KIND_COL, WIDTH_M_COL, MINUTE_S_COL,
    DENSITY_PED_M2_COL, ENTERED_COL, HELD_BACK_COL, MEAN_HOLD_S_COL, LEVEL_OF_SERVICE_COL,
)  # fmt: skip
BOTTLENECK_QUEUES_COLUMNS: Final = (
    BOTTLENECK_COL, NAME_COL, X_M_COL, Y_M_COL, MINUTE_S_COL, PASSED_COL, MAX_QUEUE_COL,
    MEAN_WAIT_S_COL,
)  # fmt: skip

#: Every table's columns, in the order they are written. Readers require them all; writers write
#: exactly these.
COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    DECISIONS: DECISIONS_COLUMNS,
    ALERTS: DECISIONS_COLUMNS,  # the alerting rows of decisions
    TIMESERIES: TIMESERIES_COLUMNS,
    CAMERAS: CAMERAS_COLUMNS,
    PEDESTRIANS: PEDESTRIANS_COLUMNS,
    ID_PROBABILITY: ID_PROBABILITY_COLUMNS,
    INCIDENTS: INCIDENTS_COLUMNS,
    INTERVENTIONS: INTERVENTIONS_COLUMNS,
    FUNNEL: FUNNEL_COLUMNS,
    PEOPLE: PEOPLE_COLUMNS,
    WALKWAY_DENSITY: WALKWAY_DENSITY_COLUMNS,
    BOTTLENECK_QUEUES: BOTTLENECK_QUEUES_COLUMNS,
}
#: Columns of text (plain or dictionary-encoded) and of lists; every other column holds numbers
#: (integers, floats, or true/false).
TEXT_COLUMNS: Final = frozenset(
    {CAMERA_ID_COL, DESTINATION_COL, GROUP_COL, KIND_COL, ORIGIN_COL, OUTCOME_COL, LOST_REASON_COL,
     NAME_COL, POST_COL, TAGS_COL, TARGET_CAMERA_ID_COL, LEVEL_OF_SERVICE_COL}
)  # fmt: skip
LIST_COLUMNS: Final = frozenset({SEARCH_IDS_COL, CAMERAS_COL})


def _kind(data_type: pa.DataType) -> str:
    if pa.types.is_dictionary(data_type):
        return _kind(data_type.value_type)
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "text"
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return "list"
    if pa.types.is_integer(data_type) or pa.types.is_floating(data_type):
        return "number"
    if pa.types.is_boolean(data_type):
        return "number"
    if pa.types.is_null(data_type):
        return "null"
    return str(data_type)


def column_kind_problem(name: str, schema: pa.Schema) -> str | None:
    """A column of the table ``name`` holding the wrong kind of value (words for a count), or None."""
    if name not in COLUMNS:
        return None
    for field in schema:
        if field.name not in COLUMNS[name]:
            continue
        want = (
            "text"
            if field.name in TEXT_COLUMNS
            else "list"
            if field.name in LIST_COLUMNS and name == INCIDENTS
            else "number"
        )
        have = _kind(field.type)
        if have not in (want, "null"):
            return f"table {name!r}: column {field.name} holds {field.type}, not {want}"
    return None


def table_file(name: str) -> str:
    """The file a table is stored in, relative to the run: ``NAME.parquet``."""
    return f"{name}{TABLE_SUFFIX}"


def column_problem(
    name: str, columns: list[str] | tuple[str, ...], *, exact: bool = False
) -> str | None:
    """What is wrong with a table's columns against the schema, or None if they match.

    Readers ask only that every column be there; writers (``exact``) that the columns be exactly the
    schema's, in its order. A table the schema does not name is left alone (a load test's tables
    share the writer).
    """
    expected = COLUMNS.get(name)
    if expected is None:
        return None
    missing = [c for c in expected if c not in columns]
    if missing:
        return f"table {name!r} lacks column(s) {', '.join(missing)}"
    if exact and tuple(columns) != expected:
        extra = [c for c in columns if c not in expected]
        if extra:
            return f"table {name!r} has column(s) the schema does not name: {', '.join(extra)}"
        return f"table {name!r} has its columns out of the schema's order"
    return None
