"""What if: change the knobs people ask about, run a window, and see it beside the baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from twin.analysis import run_frames
from twin.dashboard import loading, text, whatif, widgets
from twin.dashboard.catalogue import scan
from twin.dashboard.progress import StreamlitRunProgress
from twin.errors import TwinInputError
from twin.figures import charts
from twin.scenario import CrowdConfig, MatcherConfig, Scenario, WatchlistConfig, load_scenario

RESULT_KEY = "whatif_result"  # session state: {"baseline": path, "variant": path}
RUN_BUTTON_KEY = "whatif_run"
SCENARIO_KEY = "whatif.scenario"
CUSTOM_THRESHOLD_KEY = "whatif.matcher.threshold_custom"
DEFAULT_THRESHOLD = 0.3


KNOB_PREFIX = "whatif."


def _forget_knobs() -> None:
    """A new scenario: its own values become the knobs' starting points again."""
    for key in list(st.session_state):
        if str(key).startswith(KNOB_PREFIX) and key != SCENARIO_KEY:
            del st.session_state[key]
    st.session_state.pop(RESULT_KEY, None)


def _default_scenario(files: list[Path]) -> int:
    """Index of the scenario of the run chosen in the sidebar, else King's Cross, else the first."""
    path = widgets.selected_run_path()
    source = None
    if path is not None:
        try:
            source = loading.manifest(path).get("scenario", {}).get("source")
        except TwinInputError:
            source = None
    names = [f.resolve() for f in files]
    if source and Path(source).resolve() in names:
        return names.index(Path(source).resolve())
    for index, file in enumerate(files):
        if file.stem == "kings_cross_weekday":
            return index
    return 0


def _int_input(label: str, model: type[Any], name: str, value: int, key: str, step: int) -> int:
    low, high = whatif.bounds(model, name)
    return int(
        st.number_input(
            label,
            min_value=int(low) if low is not None else None,
            max_value=int(high) if high is not None else None,
            value=value,
            step=step,
            key=key,
        )
    )


def _knobs(scenario: Scenario) -> tuple[whatif.Knobs, int] | None:
    """The knob widgets, keyed by the scenario's field names; None when the window is inverted."""
    times = list(whatif.WINDOW_TIMES)
    start_col, end_col, seed_col = st.columns(3)
    start = start_col.selectbox(
        "Window starts",
        times[:-1],
        index=times.index(whatif.MORNING_PEAK[0]),
        key="whatif.crowd.window_start",
    )
    end = end_col.selectbox(
        "Window ends",
        times[1:],
        index=times.index(whatif.MORNING_PEAK[1]) - 1,
        key="whatif.crowd.window_end",
    )
    seed = int(
        seed_col.number_input("Seed", min_value=0, value=scenario.seed, step=1, key="whatif.seed")
    )
    footfall_col, watchlist_col, algorithm_col = st.columns(3)
    with footfall_col:
        daily = _int_input(
            "Daily footfall (person-trips in a whole day)",
            CrowdConfig,
            "daily_pedestrians",
            scenario.crowd.daily_pedestrians,
            "whatif.crowd.daily_pedestrians",
            1000,
        )
    with watchlist_col:
        size = _int_input(
            "Watchlist size (people)",
            WatchlistConfig,
            "size",
            scenario.watchlist.size,
            "whatif.watchlist.size",
            100,
        )
    algorithms = whatif.algorithm_names()
    if scenario.faces.algorithm not in algorithms:
        algorithms.append(scenario.faces.algorithm)
    algorithm = algorithm_col.selectbox(
        "Recognition algorithm",
        algorithms,
        index=algorithms.index(scenario.faces.algorithm),
        key="whatif.faces.algorithm",
        help="Algorithm profiles: measured accuracy of real systems (scenarios/algorithms/).",
    )
    custom = st.checkbox(
        "Set the decision threshold myself (otherwise the algorithm's own operating point)",
        key=CUSTOM_THRESHOLD_KEY,
    )
    threshold = None
    if custom:
        low, high = whatif.bounds(MatcherConfig, "threshold_cosine")
        threshold = float(
            st.slider(
                "Decision threshold (cosine similarity)",
                min_value=max(0.0, low if low is not None else 0.0),
                max_value=min(0.95, high if high is not None else 0.95),
                value=DEFAULT_THRESHOLD,
                step=0.005,
                format="%.3f",
                key="whatif.matcher.threshold_cosine",
            )
        )
    recognition_ids = _camera_choice(scenario)
    group_changes = _group_knobs(scenario)
    if whatif.WINDOW_TIMES.index(end) <= whatif.WINDOW_TIMES.index(start):
        st.error(f"The window must end after it starts ({start} to {end}).")
        return None
    knobs = whatif.Knobs(
        window_start=str(start),
        window_end=str(end),
        daily_pedestrians=daily,
        watchlist_size=size,
        threshold_cosine=threshold,
        recognition_ids=recognition_ids,
        algorithm=str(algorithm),
        group_changes=group_changes,
    )
    return knobs, seed


def _camera_choice(scenario: Scenario) -> tuple[str, ...] | None:
    """Which cameras run recognition; None when unchanged from the scenario."""
    from twin.recognition.captures import recognition_cameras

    site = loading.site(scenario.site_map_path)
    ids = [camera.camera_id for camera in site.cameras]
    running = [
        c for c, on in zip(ids, recognition_cameras(site, scenario.cameras), strict=True) if on
    ]
    names = {camera.camera_id: camera.name for camera in site.cameras}
    chosen = st.multiselect(
        "Cameras running face recognition",
        ids,
        default=running,
        format_func=lambda c: f"{c}: {names[c]}",
        key="whatif.cameras.recognition_ids",
        help="Leave it empty to switch recognition off everywhere.",
    )
    return None if sorted(chosen) == sorted(running) else tuple(chosen)


def _group_knobs(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Group differentials (multipliers per group), when the scenario schema has them."""
    knobs = whatif.group_knobs()
    if not knobs:
        st.caption(
            "Group differentials: this version of the twin gives every group the same accuracy; "
            f"groups in this scenario: {', '.join(g.name for g in scenario.faces.groups)}."
        )
        return {}
    changes: dict[str, dict[str, float]] = {}
    with st.expander("Differences between groups of people (how much more often the matcher errs)"):
        for group in scenario.faces.groups:
            columns = st.columns(len(knobs))
            for column, knob in zip(columns, knobs, strict=True):
                current = float(getattr(group, knob.name) or 1.0)
                value = column.number_input(
                    f"{group.name}: {knob.label}",
                    min_value=knob.low,
                    max_value=knob.high,
                    value=current,
                    help=knob.description,
                    key=f"whatif.faces.groups.{group.name}.{knob.name}",
                )
                if value != current:
                    changes.setdefault(group.name, {})[knob.name] = float(value)
    return changes


def _already_run(folder: Path, out: Path, sha256: str, seed: int) -> Path | None:
    """A complete run of exactly this scenario (hash of its resolved content) and seed, if any:
    its own what-if directory first, then any run in the results folder."""
    for candidate in (out, *scan(folder).runs):
        try:
            manifest = loading.manifest(candidate)
        except TwinInputError:
            continue
        if manifest.get("scenario", {}).get("sha256") == sha256 and manifest.get("seed") == seed:
            return candidate
    return None


def _run(scenario_path: Path, overrides: list[str], seed: int, label: str, folder: Path) -> Path:
    """Run (or reuse) one window into its results directory; returns the directory."""
    from twin.results.publish import run_scenario

    scenario = load_scenario(scenario_path, overrides=overrides)
    out = whatif.results_dir(folder, scenario_path, overrides, seed)
    done = _already_run(folder, out, scenario.sha256(), seed)
    if done is not None:
        st.caption(f"{label}: already run, reusing `{done}`.")
        return done
    bar = st.progress(0.0, text=f"{label}: starting")
    progress = StreamlitRunProgress(bar, label=label, window_start_s=scenario.crowd.window_start_s)
    manifest = run_scenario(scenario, out=out, seed=seed, progress=progress)
    progress.finish()
    st.caption(f"{label}: {manifest['wall_seconds']:.1f} s, written to `{out}`.")
    return out


def _comparison(baseline_path: Path, variant_path: Path) -> None:
    baseline = loading.manifest(baseline_path)
    variant = loading.manifest(variant_path)
    st.subheader("Baseline beside the what-if")
    left, right = st.columns(2)
    for column, name, manifest in (
        (left, "Baseline", baseline),
        (right, "What if", variant),
    ):
        with column:
            st.markdown(f"**{name}** · {text.run_label(manifest)}")
            st.markdown(text.headline(manifest))
    table = charts.comparison_table(baseline, variant)
    st.dataframe(
        table,
        hide_index=True,
        key="whatif_table",
        column_config={
            "baseline": st.column_config.NumberColumn(format="localized"),
            "what-if": st.column_config.NumberColumn(format="localized"),
            "change": st.column_config.NumberColumn(format="localized"),
        },
    )
    widgets.chart(
        charts.outcome_comparison(baseline, variant),
        "Right alerts, wrong alerts and missed watchlisted faces in the same window, as the scenario "
        "stands (grey) and with your changes (blue, hatched). Both runs see the same people.",
        key="whatif_outcomes",
    )
    columns = (
        "start_s",
        "pedestrians_departed",
        "passes",
        "searches",
        "true_alerts",
        "false_alerts",
        "queue_depth_max",
        "matcher_busy_fraction",
    )
    before = run_frames.throughput_by_bin(loading.table(baseline_path, "timeseries", columns), 300)
    after = run_frames.throughput_by_bin(loading.table(variant_path, "timeseries", columns), 300)
    widgets.chart(
        charts.searches_comparison(before, after, bin_label="5-minute"),
        "Faces sent to the matcher per second across the window: as the scenario stands (grey, "
        "dotted) and with your changes (blue).",
        key="whatif_searches",
    )
    st.caption(
        f"Both are ordinary results directories (`{baseline_path.name}`, `{variant_path.name}`): pick "
        "them in the sidebar to see every page for either."
    )


def render() -> None:
    """Draw the what-if page."""
    st.title("What if…?")
    st.markdown(
        "Change what people ask about (more footfall, a bigger watchlist, a stricter threshold, fewer "
        "cameras), run a window of the day, and compare it with the scenario as it stands."
    )
    with widgets.guarded():
        files = whatif.scenario_files()
        if not files:
            st.error(f"No scenario files in {whatif.SCENARIOS_DIR}.")
            return
        scenario_path = st.selectbox(
            "Scenario",
            files,
            index=_default_scenario(files),
            format_func=lambda p: p.stem.replace("_", " "),
            key=SCENARIO_KEY,
            on_change=_forget_knobs,
        )
        scenario = load_scenario(scenario_path)
        st.caption(f"{scenario.name}: {scenario.description}")
        chosen = _knobs(scenario)
        clicked = st.button(
            "Run the what-if", type="primary", key=RUN_BUTTON_KEY, disabled=chosen is None
        )
        if chosen is not None:
            knobs, seed = chosen
            base = whatif.window_overrides(knobs)
            variant = whatif.variant_overrides(scenario, knobs)
            st.caption(
                f"Same as: `twin run {whatif.display_path(scenario_path)} --seed {seed} "
                f"{whatif.describe(variant)}`"
            )
            if clicked:
                folder = widgets.runs_folder()
                baseline_dir = _run(scenario_path, base, seed, "Baseline", folder)
                variant_dir = (
                    baseline_dir
                    if variant == base
                    else _run(scenario_path, variant, seed, "What if", folder)
                )
                st.session_state[RESULT_KEY] = {
                    "baseline": str(baseline_dir),
                    "variant": str(variant_dir),
                }
        result = st.session_state.get(RESULT_KEY)
        if result:
            _comparison(Path(result["baseline"]), Path(result["variant"]))
        else:
            st.info("Set the knobs and press **Run the what-if**.", icon=":material/tune:")


if __name__ == "__main__":
    render()
