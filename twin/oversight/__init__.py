"""The oversight record read back from a results directory: figures and the HTML report."""
