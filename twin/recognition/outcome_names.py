"""The names of a search's four outcomes, as the results tables spell them (`outcome` column).

Kept apart from `twin.recognition.outcomes` (which judges searches and loads the faces model) so that
the charts and the dashboard can name outcomes without loading it.
"""

from __future__ import annotations

from typing import Final

TRUE_ALERT: Final = "true_alert"
FALSE_ALERT: Final = "false_alert"
MISSED: Final = "missed"
CORRECT_NON_ALERT: Final = "correct_non_alert"
#: Every outcome, in code order (`twin.recognition.outcomes.classify` returns indices into this).
OUTCOMES: Final = (TRUE_ALERT, FALSE_ALERT, MISSED, CORRECT_NON_ALERT)
