"""The people table and per-person figures, from a real run of the small plaza."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.results.people_tables import flagged_in_words
from twin.results.publish import run_scenario
from twin.results.reader import read_results
from twin.scenario import Scenario


@pytest.fixture(scope="module")
def flagged_run(plaza_scenario: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # A low threshold, so that a short window has false alerts to count per person.
    matcher = plaza_scenario.matcher.model_copy(update={"threshold_cosine": 0.18})
    out = tmp_path_factory.mktemp("people") / "run"
    run_scenario(plaza_scenario.model_copy(update={"matcher": matcher}), out=out, seed=4)
    return out


def test_people_table_adds_up_to_the_decisions(flagged_run: Path) -> None:
    results = read_results(flagged_run)
    people = results.table("people").to_pandas()
    decisions = results.table("decisions").to_pandas()
    pedestrians = results.table("pedestrians").to_pandas()
    counts = results.manifest["counts"]
    assert len(people) == counts["people"] > 0
    assert people["visits"].sum() == len(pedestrians)
    assert people["captures"].sum() == len(decisions)
    false = decisions[decisions["outcome"] == "false_alert"]
    assert people["false_alerts"].sum() == len(false) > 0
    by_person = false.groupby("person").size()
    assert (people.loc[by_person.index, "false_alerts"].to_numpy() == by_person.to_numpy()).all()
    innocent = ~people["watchlisted"]
    assert counts["innocent_people_flagged"] == int((innocent & (people["false_alerts"] > 0)).sum())
    assert counts["people_scanned"] == int((people["captures"] > 0).sum())
    assert counts["watchlisted_people_alerted"] == int(
        (people["watchlisted"] & (people["true_alerts"] > 0)).sum()
    )
    # Officers' stops, per person, agree with the interventions.
    interventions = results.table("interventions").to_pandas()
    stopped = interventions[interventions["outcome"] == "intercepted"]
    assert people["stops"].sum() == len(stopped)
    stops = results.manifest["outcomes"]["per_person"]["stops"]
    innocent_stops = people.loc[innocent, "wrong_stops"]
    assert stops["innocent_people_stopped"] == int((innocent_stops > 0).sum())
    assert stops["innocent_people_stopped_twice_or_more"] == int((innocent_stops >= 2).sum())
    # Every decision's person is its trip's person.
    trip_person = pedestrians.set_index("pedestrian")["person"]
    assert (trip_person.loc[decisions["pedestrian"]].to_numpy() == decisions["person"]).all()


def test_per_person_figures_and_their_sentence(flagged_run: Path) -> None:
    manifest = read_results(flagged_run).manifest
    people = read_results(flagged_run).table("people").to_pandas()
    figures = manifest["outcomes"]["per_person"]
    flagged = people[~people["watchlisted"] & (people["false_alerts"] > 0)]
    assert figures["people_flagged"] == len(flagged)
    assert figures["max_per_flagged"] == flagged["false_alerts"].max()
    assert figures["mean_per_flagged"] == pytest.approx(flagged["false_alerts"].mean())
    assert 0 < figures["chance_innocent_visit_alerted"] < 1
    assert set(figures["by_group"]) == {"all"}
    sentence = flagged_in_words(manifest)
    assert sentence.startswith(f"{len(flagged):,} innocent")
    assert "wrongly flagged" in sentence
    assert f"{manifest['counts']['people_scanned']:,} people scanned" in sentence


def test_the_sentence_reads_naturally_for_none_one_and_many() -> None:
    def manifest(flagged: int, most: int) -> dict[str, object]:
        return {
            "counts": {"innocent_people_flagged": flagged, "people_scanned": 51_200},
            "outcomes": {"per_person": {"max_per_flagged": most}},
        }

    assert flagged_in_words(manifest(0, 0)).startswith("No innocent person was wrongly flagged")
    assert flagged_in_words(manifest(1, 1)).startswith(
        "1 innocent person was wrongly flagged, once"
    )
    assert flagged_in_words(manifest(34, 6)) == (
        "34 innocent people were wrongly flagged, one of them 6 times, out of 51,200 people scanned."
    )
    assert flagged_in_words({"counts": {}}) == ""


def test_a_window_that_starts_mid_walk_counts_early_best_frames_in_its_first_minute(
    plaza_scenario: Scenario, tmp_path: Path
) -> None:
    # Walkers under way at 08:00 may show their best frame a moment before it (the warm start).
    scenario = plaza_scenario.model_copy(
        update={
            "crowd": plaza_scenario.crowd.model_copy(
                update={"window_start": "08:00", "window_end": "08:20", "daily_pedestrians": 5436}
            )
        }
    )
    manifest = run_scenario(scenario, out=tmp_path / "run", seed=7)
    decisions = read_results(tmp_path / "run").table("decisions").to_pandas()
    start_s = manifest["window"]["start_s"]
    assert (decisions["time_s"] < start_s).any()  # the case this guards
    assert manifest["throughput"]["peak_minute_start_s"] >= start_s
