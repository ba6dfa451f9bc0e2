"""After an alert: operators and officers (SimPy), incidents, and the hash-chained ledger."""
