"""People moving: demand in time, walkers on the walk graph (SimPy), flows between places."""
