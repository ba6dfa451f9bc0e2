"""Analysis over a site and its flows or over a run's tables: coverage, camera planning, charts' frames."""
