"""Site map: the ground, the cameras and what each one sees, and where people walked."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from twin.analysis import run_frames
from twin.dashboard import loading, widgets
from twin.figures import crowd_map, site_map

if TYPE_CHECKING:
    import pandas as pd

    from twin.site.model import Site

COLOUR_KEY = "site_view_colour"
NAMES_KEY = "site_names"
PROBABILITY_TABLE = "id_probability"
DENSITY_TABLE = "walkway_density"
QUEUES_TABLE = "bottleneck_queues"
MINUTE_KEY = "site_crowding_minute"
COLOURINGS = {
    "grade": "how sharply they see a face",
    "recognition": "whether they run face recognition",
}


def _probability(run: widgets.Run, site: Site, cameras: pd.DataFrame, *, names: bool) -> None:
    """The identification-probability map (the run's table ``id_probability``)."""
    cells = loading.table(run.path, PROBABILITY_TABLE, site_map.PROBABILITY_COLUMNS)
    widgets.chart(
        site_map.probability_map(site, cells, cameras=cameras, names=names),
        "For each spot, the chance that a person walking past it is captured sharply enough for "
        "face recognition (yellow: almost certainly; dark blue: hardly ever; blank: never).",
        key="site_probability",
    )


def _clock(minute_s: float) -> str:
    minutes = int(minute_s // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _crowding(run: widgets.Run, site: Site) -> None:
    """Density and level of service by walkway through the day, and where queues formed."""
    density = loading.table(run.path, DENSITY_TABLE, crowd_map.DENSITY_COLUMNS)
    queues = loading.table(run.path, QUEUES_TABLE, crowd_map.QUEUE_COLUMNS)
    if density.empty:
        st.caption("Nobody walked in this run.")
        return
    minutes = sorted(density["minute_s"].unique().tolist())
    busiest = float(
        density["minute_s"].to_numpy()[int(density["density_ped_m2"].to_numpy().argmax())]
    )
    minute_s = st.select_slider(
        "Minute of the day",
        options=minutes,
        value=busiest,
        format_func=_clock,
        key=MINUTE_KEY,
    )
    crowd = run.manifest.get("crowd", {})
    widgets.chart(
        crowd_map.crowding_map(site, density, queues, minute_s=float(minute_s)),
        f"Each walkway anyone walked at {_clock(float(minute_s))}, coloured by how crowded it was "
        "(Fruin's levels of service: A free-flowing to F jammed; hover for people per square "
        "metre). Circles mark queues at steps, bridges, crossings and station exits that "
        "minute, larger for longer queues. The slider starts at the most crowded minute"
        + (
            f": {crowd['peak_density_ped_m2']:.2f} people per m², level "
            f"{crowd['busiest_walkway_level_of_service']}."
            if "peak_density_ped_m2" in crowd
            else "."
        ),
        key="site_crowding",
    )
    if not queues.empty:
        worst = (
            queues.groupby("name", observed=True)["max_queue"].max().sort_values(ascending=False)
        )
        worst = worst[worst > 1].head(10)
        if not worst.empty:
            st.markdown("**Where queues formed** (longest queue met over the run, walkers)")
            st.dataframe(worst.rename("longest queue").reset_index(), hide_index=True)


def render() -> None:
    """Draw the site-map page."""
    st.title("Where the cameras are, and what they see")
    with widgets.guarded():
        run = widgets.require_run()
        widgets.run_header(run)
        cameras = loading.table(run.path, "cameras", run_frames.CAMERA_COLUMNS)
        map_path = loading.site_map_path(run.path)
        site = loading.site(map_path)

        colour_col, names_col = st.columns([3, 1], vertical_alignment="bottom")
        colour_by = colour_col.segmented_control(
            "Colour the camera views by",
            options=list(COLOURINGS),
            format_func=lambda key: COLOURINGS[key],
            default="grade",
            key=COLOUR_KEY,
        )
        colour_by = str(colour_by or "grade")
        names = names_col.toggle("Camera names", value=False, key=NAMES_KEY)
        has_probability = PROBABILITY_TABLE in run.manifest.get("tables", {})
        titles = ["What the cameras see", "Where people walked"]
        if has_probability:
            titles.append("Where a face would be caught")
        tables = run.manifest.get("tables", {})
        has_crowding = DENSITY_TABLE in tables and QUEUES_TABLE in tables
        if has_crowding:
            titles.append("Crowding through the day")
        tabs = st.tabs(titles)
        with tabs[0]:
            if colour_by == "grade":
                caption = (
                    "The site from above. Grey blocks are buildings (cameras cannot see through "
                    "them), grey lines the walkways, black squares the ways in and out. Each "
                    "camera's view is shaded by how sharply it sees a face there: the darkest bands "
                    "are sharp enough for face recognition (500 px/m and more), the lightest only "
                    "for noticing that someone is there. Zoom in with the mouse; hover over a "
                    "camera for its details."
                )
            else:
                caption = (
                    "The site from above, each camera's view in red if it ran face recognition in "
                    "this run and in blue if it only recorded. Zoom in with the mouse; hover over a "
                    "camera for its details."
                )
            widgets.chart(
                site_map.coverage_map(site, cameras=cameras, colour_by=colour_by, names=names),
                caption,
                key="site_coverage",
            )
            st.markdown(
                "**What the shades mean.** How many pixels a camera puts across a metre of "
                "someone's face decides what it can do. The European standard EN 62676-4 grades a "
                "view from *detect* (25 px/m: someone is there) through *observe* (62.5) and "
                "*recognise* (125) to *identify* (250 px/m). Face recognition engines want about "
                "500 px/m at least and 1,000 px/m to work well."
            )
        with tabs[1]:
            flow = loading.flow(run.path, map_path, site)
            widgets.chart(
                site_map.flow_map(site, flow, cameras=cameras, names=names),
                f"How many people walked through each {flow.cell_m:g} m square during the run, "
                f"along the shortest walk from where they came in to where they went (darker: more). "
                f"The busiest square saw {flow.busiest:,.0f} people. Red triangles are cameras "
                "running face recognition.",
                key="site_flow",
            )
        if has_probability:
            with tabs[2]:
                _probability(run, site, cameras, names=names)
        else:
            st.caption(
                "The identification-probability map (the chance that a person passing a spot is "
                "captured at recognition grade) appears here when a run records it "
                f"(a table `{PROBABILITY_TABLE}`, see docs/dashboard.md)."
            )
        if has_crowding:
            with tabs[-1]:
                _crowding(run, site)
        st.subheader("Cameras in this run")
        st.dataframe(run_frames.camera_table(cameras), hide_index=True, key="site_cameras")
        attribution = run.manifest.get("site", {}).get("attribution")
        if attribution:
            st.caption(f"Map: {attribution}")


if __name__ == "__main__":
    render()
