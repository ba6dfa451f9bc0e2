"""Print the matcher's speed figures on this machine: ``python benchmarks/bench_matcher.py [--json]``.

The same measurement as ``twin matcher bench`` (see twin/matcher/bench.py for what is measured and
against which same-process yardsticks); every option of that command is accepted here.
"""

from __future__ import annotations

import sys

from twin.cli.matcher import matcher_app

if __name__ == "__main__":
    matcher_app(["bench", *sys.argv[1:]])
