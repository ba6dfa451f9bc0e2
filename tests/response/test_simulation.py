"""Operators and officers after the alert: review queue, judgement, dispatch and interception."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from twin.cli.app import app as twin_app
from twin.recognition.outcomes import CORRECT_NON_ALERT, MISSED, OUTCOMES
from twin.response.incidents import WalkGraphTransit, camera_anchors, merge_alerts
from twin.response.officers import LEFT_SITE, Post, predicted_path
from twin.response.simulation import (
    DISMISSED,
    EXPIRED,
    INTERCEPTED,
    LOST,
    NO_OFFICER,
    AlertFeed,
    AlertTruth,
    ResponseResult,
    credible_probability,
    simulate_response,
)
from twin.results.publish import run_scenario
from twin.results.response_tables import funnel_counts, funnel_table
from twin.run.runner import RunOutput, run_simulation
from twin.scenario import ResponseConfig, Scenario, load_scenario
from twin.site.model import Site, load_site

ROOT = Path(__file__).resolve().parents[2]
PLAZA = ROOT / "scenarios" / "small_plaza.toml"
FloatArray = npt.NDArray[np.float64]


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(ROOT / "site_maps" / "small_plaza.geojson")


class Standing:
    """Ground truth for tests: each pedestrian stands at a fixed point until ``leaves_s``."""

    def __init__(self, where: dict[int, tuple[float, float]], leaves_s: float) -> None:
        self.where, self.leaves_s = where, leaves_s

    def track(
        self, pedestrian: int, times_s: FloatArray
    ) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
        xy = np.tile(np.asarray(self.where[pedestrian], dtype=np.float64), (len(times_s), 1))
        return xy, times_s <= self.leaves_s


def feed_of(site: Site, times_s: list[float], ids: list[int], camera: str = "cam-02") -> AlertFeed:
    n = len(times_s)
    return AlertFeed(
        search_id=np.arange(n, dtype=np.int64),
        time_s=np.asarray(times_s, dtype=np.float64),
        decided_s=np.asarray(times_s, dtype=np.float64) + 0.05,
        camera_id=(camera,) * n,
        watchlist_id=np.asarray(ids, dtype=np.int64),
        score=np.full(n, 0.5),
        quality=np.full(n, 0.8),
    )


def respond_to(
    site: Site,
    feed: AlertFeed,
    truth: AlertTruth,
    config: ResponseConfig,
    whereabouts: Standing,
    *,
    officers: int = 1,
    seed: int = 1,
) -> ResponseResult:
    anchors = camera_anchors(site.walk_graph, site.cameras)
    node = anchors["cam-01"]
    post = Post(
        "test post",
        node,
        float(site.walk_graph.nodes[node]["x"]),
        float(site.walk_graph.nodes[node]["y"]),
        0.0,
        officers,
    )
    incidents = merge_alerts(
        watchlist_id=feed.watchlist_id,
        camera_id=feed.camera_id,
        time_s=feed.time_s,
        transit=WalkGraphTransit({}, 0.5, 2.5, 0.0),
    )
    return simulate_response(
        feed=feed,
        truth=truth,
        incidents=incidents,
        site=site,
        config=config,
        posts=[post],
        anchors=anchors,
        whereabouts=whereabouts,
        threshold_cosine=0.3,
        window_start_s=0.0,
        window_end_s=3600.0,
        rng=np.random.default_rng(seed),
    )


def anchor_xy(site: Site, camera: str) -> tuple[float, float]:
    node = site.walk_graph.nodes[camera_anchors(site.walk_graph, site.cameras)[camera]]
    return float(node["x"]), float(node["y"])


ALWAYS_CREDIBLE = ResponseConfig(
    credible_base_logit=20.0, review_time_cv=0.0, review_time_mean_s=10.0
)


def truth_of(n: int, right: list[bool]) -> AlertTruth:
    return AlertTruth(
        pedestrian=np.arange(n, dtype=np.int64),
        right_person=np.asarray(right, dtype=bool),
        group=np.zeros(n, dtype=np.int64),
    )


def test_judgement_follows_score_quality_and_the_faces() -> None:
    config = ResponseConfig()
    assert credible_probability(
        config, score=0.3, threshold=0.3, quality=0.5, right_person=True
    ) == pytest.approx(1.0 / (1.0 + math.exp(-(0.5 + 0.5))))
    low = credible_probability(config, score=0.31, threshold=0.3, quality=0.5, right_person=False)
    high = credible_probability(config, score=0.5, threshold=0.3, quality=0.5, right_person=False)
    assert high > low
    sharp = ResponseConfig(discernment_logit=5.0)
    blurred = credible_probability(
        sharp, score=0.35, threshold=0.3, quality=0.1, right_person=False
    )
    clear = credible_probability(sharp, score=0.35, threshold=0.3, quality=0.9, right_person=False)
    assert clear < blurred  # a good image lets the reviewer see it is someone else


@pytest.mark.parametrize("right_person", [True, False], ids=["right-match", "wrong-match"])
def test_a_person_standing_where_the_officer_goes_is_stopped(
    site: Site, right_person: bool
) -> None:
    feed = feed_of(site, [100.0], [5])
    result = respond_to(
        site,
        feed,
        truth_of(1, [right_person]),
        ALWAYS_CREDIBLE,
        Standing({0: anchor_xy(site, "cam-02")}, 1e9),
    )
    record = result.records[0]
    assert record.outcome == INTERCEPTED and record.right_person is right_person
    assert record.review_end_s == pytest.approx(100.05 + 10.0)
    assert record.intercepted_s >= record.dispatched_s
    counts = funnel_counts(result)
    expected = (1, 1, 0) if right_person else (1, 0, 1)
    assert (counts["intercepted"], counts["right_person"], counts["wrong_person"]) == expected


def test_a_person_who_has_left_is_lost(site: Site) -> None:
    feed = feed_of(site, [100.0], [5])
    result = respond_to(
        site,
        feed,
        truth_of(1, [True]),
        ALWAYS_CREDIBLE,
        Standing({0: anchor_xy(site, "cam-02")}, 105.0),
    )
    assert (result.records[0].outcome, result.records[0].lost_reason) == (LOST, LEFT_SITE)


def test_with_one_officer_busy_the_second_incident_is_lost(site: Site) -> None:
    feed = feed_of(site, [100.0, 101.0], [5, 6])
    where = {0: anchor_xy(site, "cam-02"), 1: anchor_xy(site, "cam-02")}
    config = ALWAYS_CREDIBLE.model_copy(update={"operators": 2})
    result = respond_to(site, feed, truth_of(2, [True, True]), config, Standing(where, 1e9))
    outcomes = sorted((r.outcome, r.lost_reason) for r in result.records)
    assert outcomes == [(INTERCEPTED, ""), (LOST, NO_OFFICER)]


def test_a_queue_longer_than_the_expiry_leaves_alerts_unreviewed(site: Site) -> None:
    times = [100.0 + i for i in range(5)]
    config = ResponseConfig(
        operators=1, review_time_mean_s=200.0, review_time_cv=0.0, alert_expiry_s=300.0
    )
    result = respond_to(
        site,
        feed_of(site, times, list(range(5))),
        truth_of(5, [False] * 5),
        config,
        Standing({i: (0.0, 0.0) for i in range(5)}, 1e9),
    )
    outcomes = [r.outcome for r in result.records]
    assert outcomes.count(EXPIRED) == 3  # reviews take 200 s: only two start within 300 s
    assert all(o in (EXPIRED, DISMISSED, LOST) for o in outcomes)
    table = funnel_table(result).to_pandas()
    assert table["expired"].sum() == 3 and table["reviewed"].sum() == 2
    assert table["operator_busy_s"].sum() == pytest.approx(400.0)


def test_the_officer_is_sent_on_what_the_system_knows_not_on_the_truth(site: Site) -> None:
    """The plan (where to, how far) must not change when only the ground truth changes."""
    feed = feed_of(site, [100.0], [5])
    plans = []
    for right, where in ((True, anchor_xy(site, "cam-02")), (False, (1e6, 1e6))):
        result = respond_to(
            site, feed, truth_of(1, [right]), ALWAYS_CREDIBLE, Standing({0: where}, 1e9)
        )
        record = result.records[0]
        plans.append((record.dispatched_s, record.travel_m, record.target_alert, record.officer))
    assert plans[0] == plans[1]


def test_the_predicted_walk_keeps_straight_on() -> None:
    graph = nx.Graph()
    for node, (x, y) in {0: (0, 0), 1: (0, 10), 2: (0, 20), 3: (10, 10), 4: (-10, 10)}.items():
        graph.add_node(node, x=float(x), y=float(y))
    for a, b in ((0, 1), (1, 2), (1, 3), (1, 4)):
        graph.add_edge(a, b, length_m=10.0)
    assert predicted_path(graph, 0, 0.0, 100.0) == [(0, 0.0), (1, 10.0), (2, 20.0)]
    assert predicted_path(graph, 1, 80.0, 100.0) == [(1, 0.0), (3, 10.0)]  # turn right
    assert predicted_path(graph, 0, 180.0, 100.0) == [(0, 0.0)]  # nothing within 90 degrees


# --- a whole run -----------------------------------------------------------------------------

BUSY_PLAZA = [
    "crowd.window_start='07:00'",
    "crowd.window_end='09:00'",
    "pipeline.timing_repeats=2",
    "watchlist.prevalence=0.03",
    "matcher.threshold_cosine=0.2",
]


@pytest.fixture(scope="module")
def plaza_run() -> RunOutput:
    return run_simulation(load_scenario(PLAZA, overrides=BUSY_PLAZA))


def test_the_funnel_adds_up_on_a_real_run(plaza_run: RunOutput) -> None:
    result = plaza_run.response
    assert result is not None
    counts = funnel_counts(result)
    assert counts["alerts"] >= counts["incidents"] > 5
    assert counts["true_alerts"] > 0 and counts["false_alerts"] > 0
    assert counts["incidents"] == sum(
        counts[k] for k in ("expired", "dismissed", "intercepted", "lost")
    )
    assert counts["reviewed"] == counts["dismissed"] + counts["credible"]
    assert counts["intercepted"] == counts["right_person"] + counts["wrong_person"]
    assert counts["lost"] == sum(counts["lost_reasons"].values())
    table = funnel_table(result).to_pandas()
    assert int(table["alerts"].sum()) == counts["alerts"]
    assert int(table["incidents"].sum()) == counts["incidents"]
    utilisation = table["operator_utilisation"].dropna()
    assert ((utilisation >= 0) & (utilisation <= 1)).all()


def test_the_response_stage_is_timed_and_seeded(plaza_run: RunOutput) -> None:
    assert "response" in plaza_run.stage_seconds
    again = run_simulation(plaza_run.scenario)
    assert again.response is not None and plaza_run.response is not None
    assert [r.outcome for r in again.response.records] == [
        r.outcome for r in plaza_run.response.records
    ]


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.toml")), ids=lambda p: p.stem)
def test_shipped_scenarios_load_with_a_response_section(path: Path) -> None:
    scenario: Scenario = load_scenario(path)
    assert scenario.response.operators >= 1


def test_kings_cross_2016_states_its_response_assumptions() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "kings_cross_2016.toml")
    text = (ROOT / "scenarios" / "kings_cross_2016.toml").read_text()
    assert "not published" in text and "*assumption*" in text
    assert scenario.response.posts[0].entrance == "gw-underground-north"
    assert "police" in scenario.response.provenance.supplied_by


# --- bad input: exit code 2 and one line -------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "fragments"),
    [
        ("response.operators=0", ("response.operators", "greater than or equal to 1")),
        ("response.review_time_mean_s=-5", ("response.review_time_mean_s", "greater than 0")),
        ("response.posts=[{x_m=0.0, y_m=0.0}]", ("response.posts.0", "within 30 m")),
        ("response.posts=[{entrance='nowhere'}]", ("response.posts.0.entrance", "gate-south")),
        ("response.posts=[{node=99999}]", ("response.posts.0.node", "no walk-graph node")),
        ("response.posts=[{node=1, entrance='gate-south'}]", ("response.posts.0", "exactly one")),
    ],
)
def test_bad_response_settings_are_refused_in_one_line(
    override: str, fragments: tuple[str, ...], tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        twin_app, ["run", str(PLAZA), "--out", str(tmp_path / "run"), "--set", override]
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for fragment in fragments:
        assert fragment in lines[0]
    assert not (tmp_path / "run").exists()


# --- no embedding of anyone who did not match is written anywhere -------------------------------


def _searchable_bytes(path: Path) -> bytes:
    """A file's bytes, with Parquet tables decompressed (raw column buffers, Arrow IPC)."""
    if path.suffix != ".parquet":
        return path.read_bytes()
    sink = pa.BufferOutputStream()
    table = pq.read_table(path)
    with pa.ipc.new_stream(sink, table.schema) as stream:
        stream.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def test_the_search_would_find_an_embedding_if_one_were_written(tmp_path: Path) -> None:
    probe = np.random.default_rng(3).standard_normal(512).astype(np.float32)
    table = pa.table({"embedding": pa.array([probe.tolist()], pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "leak.parquet", compression="zstd")
    assert probe.tobytes() not in (tmp_path / "leak.parquet").read_bytes()  # compressed
    assert probe.tobytes() in _searchable_bytes(tmp_path / "leak.parquet")


def test_no_embedding_of_a_non_matched_face_is_written(tmp_path: Path) -> None:
    scenario = load_scenario(
        PLAZA,
        overrides=[
            "crowd.window_start='08:00'",
            "crowd.window_end='08:30'",
            "pipeline.timing_repeats=2",
            "pipeline.service_time='measured'",
            "watchlist.prevalence=0.03",
            "matcher.threshold_cosine=0.2",
        ],
    )
    output = run_simulation(scenario)
    probes = output.decisions.matches.probes
    assert probes is not None and len(probes) == len(output.decisions.rows)
    out = tmp_path / "run"
    run_scenario(scenario, out=out, simulated=output)
    codes = output.decisions.outcome
    not_matched = np.flatnonzero(
        (codes == OUTCOMES.index(CORRECT_NON_ALERT)) | (codes == OUTCOMES.index(MISSED))
    )
    assert not_matched.size > 100
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {"ledger.jsonl", "incidents.parquet", "manifest.json"} <= {p.name for p in files}
    contents = [_searchable_bytes(p) for p in files]
    texts = [c.decode("utf-8", errors="ignore") for c in contents if not c.startswith(b"\xff")]
    for row in not_matched.tolist():
        as_float32 = probes[row].tobytes()
        assert not any(as_float32 in c for c in contents), f"probe {row} found"
    for row in not_matched[:20].tolist():
        as_float64 = probes[row].astype(np.float64).tobytes()
        assert not any(as_float64 in c for c in contents)
        # three of its largest components: long renderings no other figure would share
        for value in probes[row][np.argsort(-np.abs(probes[row]))[:3]].tolist():
            for rendering in (repr(value), str(np.float32(value)), json.dumps(value)):
                assert not any(rendering in t for t in texts), rendering


# --- the commands -----------------------------------------------------------------------------


def test_python_m_twin_response_cli_runs(tmp_path: Path, plaza_run: RunOutput) -> None:
    out = tmp_path / "run"
    run_scenario(plaza_run.scenario, out=out, simulated=plaza_run)
    env = {**os.environ, "CI": "true"}
    done = subprocess.run(
        [sys.executable, "-m", "twin.cli.oversight", "report", str(out), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["funnel"] == funnel_counts(plaza_run.response)  # type: ignore[arg-type]
