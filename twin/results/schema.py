"""The results schema: the manifest's file name, its version and status, and every table's name.

The human-readable schema, column by column, is docs/results.md.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"
STATUS_COMPLETE = "complete"

# Table names and the file each is stored in.
DECISIONS = "decisions"
ALERTS = "alerts"
TIMESERIES = "timeseries"
CAMERAS = "cameras"
PEDESTRIANS = "pedestrians"
ID_PROBABILITY = "id_probability"
PEOPLE = "people"
TABLES = (DECISIONS, ALERTS, TIMESERIES, CAMERAS, PEDESTRIANS, ID_PROBABILITY, PEOPLE)
