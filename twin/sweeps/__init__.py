"""Many runs: what-if grids on Dask, years of days, their statistics, and comparing runs."""
