"""One run: the only place that knows the order of the stages, and the run's random streams."""
