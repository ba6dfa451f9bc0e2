"""The ``twin`` command: one module per command group."""
