"""``python -m twin``: the same as the ``twin`` command."""

from twin.cli.app import main

main()
