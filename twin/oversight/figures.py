"""The oversight report's figures: what a regulator or a residents' group needs to judge a deployment.

Built from a results directory only (manifest, tables and ledger), never from live simulation
objects: who was on the watchlist and on whose authority, how many faces were scanned, the alerts,
how operators and officers dealt with them, errors by group, staff time and cost, and the
proportionality figures:

- **faces processed per true alert**: every face scanned, divided by the alerts that were right;
- **bystander faces per intervention**: faces of people *not* on the watchlist scanned, divided by
  the people stopped;
- **share of a group's passers-by subject to a wrong intervention**: people of the group stopped
  who were not the person on the watchlist, divided by the group's people whose faces were scanned.

The proportionality figures are worked out when the run is recorded (`twin.response.proportionality`)
and read back from the manifest here. `twin.oversight.report` renders these figures as HTML; ``twin report --json`` prints them as they are.
"""

from __future__ import annotations

from typing import Any

from twin.errors import ResultsError
from twin.oversight.how_sure import how_sure_figures
from twin.response.ledger import verify
from twin.results.people_tables import flagged_in_words
from twin.results.reader import Results, inside
from twin.results.schema import PEDESTRIANS


def _people(manifest: dict[str, Any]) -> dict[str, Any]:
    """Outcomes per person (docs/results.md), or {} for a run recorded before persons were."""
    counts = manifest["counts"]
    per_person = manifest["outcomes"].get("per_person")
    if per_person is None or "people" not in counts:
        return {}
    return {
        "people": counts["people"],
        "people_scanned": counts["people_scanned"],
        "innocent_people_flagged": counts["innocent_people_flagged"],
        "watchlisted_people_alerted": counts["watchlisted_people_alerted"],
        "per_person": per_person,
        "in_words": flagged_in_words(manifest),
    }


def _scanned_passers_by(results: Results) -> int:
    table = results.table(PEDESTRIANS).select(["captures"]).to_pandas()
    return int((table["captures"] > 0).sum())


def oversight_figures(results: Results, *, period: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every figure of the oversight report, JSON-ready (docs/response.md). ``period``: the summary
    of the period of days ``results`` is the first day of (``twin year``), reported after the day."""
    manifest = results.manifest
    response = manifest.get("response")
    if not response:
        raise ResultsError(
            "this run has no response section (operators, interventions, ledger): re-run the "
            "scenario with this version of the twin",
            source=results.path,
        )
    scenario = manifest["scenario"]
    resolved = scenario.get("resolved", {})
    counts = manifest["counts"]
    outcomes = manifest["outcomes"]
    ledger_info = response["ledger"]
    ledger_path = inside(
        results.path, ledger_info["file"], source=results.path, what="response.ledger.file"
    )
    if ledger_path.is_file():
        check = verify(
            ledger_path,
            expected_entries=ledger_info.get("entries"),
            expected_head=ledger_info.get("head_sha256"),
        ).as_dict()
    else:
        check = {"intact": False, "reason": f"{ledger_path.name} is missing"}
    groups = {}
    for name, rates in outcomes.get("by_group", {}).items():
        groups[name] = {**rates, **response.get("by_group", {}).get(name, {})}
    figures: dict[str, Any] = {
        "run": str(results.path),
        "scenario": {
            "name": scenario["name"],
            "description": resolved.get("description", ""),
            "sha256": scenario.get("sha256"),
        },
        "seed": manifest["seed"],
        "site": manifest["site"],
        "window": manifest["window"],
        "watchlist": {
            "size": resolved.get("watchlist", {}).get("size"),
            **response.get("provenance", {}),
        },
        "scanning": {
            "pedestrians": counts["pedestrians"],
            "passers_by_scanned": _scanned_passers_by(results),
            "faces_scanned": counts["captures"],
            "searches": counts["searches"],
            "watchlisted_passers_by": counts["watchlisted_pedestrians"],
            "watchlisted_unseen": counts["watchlisted_unseen"],
        },
        "alerts": {
            "alerts": counts["alerts"],
            "true_alerts": counts["true_alerts"],
            "false_alerts": counts["false_alerts"],
            "precision": outcomes.get("precision"),
            "fpir": outcomes.get("fpir"),
            "fnir": outcomes.get("fnir"),
            "incidents": response["funnel"]["incidents"],
            "impossible_repeats": response["funnel"]["impossible_repeats"],
        },
        "people": _people(manifest),
        "funnel": response["funnel"],
        "staff": response["staff"],
        "posts": response.get("posts", []),
        "groups": groups,
        "proportionality": response["proportionality"],
        "ledger": {**ledger_info, "verification": check},
        "period": period,
    }
    sure = how_sure_figures(results.path, scenario["name"])
    if sure is not None:
        figures["how_sure"] = sure
    return figures
