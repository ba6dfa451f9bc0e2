"""The oversight report as a web page: plain words for a regulator or a residents' group.

One self-contained HTML page (no scripts, no external files) rendered from the figures of
`twin.oversight.figures`. Every value from the run is escaped. The page says what the deployment did, on
whose authority, what it cost and what went wrong, and who bore the errors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any, Final

NOT_APPLICABLE: Final = "n/a"
NOT_RECORDED: Final = "not recorded"
#: A period's per-person figures in the report: key and plain words.
PERIOD_PERSON_ROWS: Final = (
    ("innocent_people_flagged", "Innocent people wrongly flagged at least once"),
    ("innocent_people_flagged_on_two_days_or_more", "… of them, flagged on two days or more"),
    (
        "most_false_alerts_on_one_innocent_person",
        "Wrong alerts on the most-flagged innocent person",
    ),
    ("share_of_false_alerts_on_top_1pct_flagged", "Share of wrong alerts on the most-flagged 1%"),
    ("innocent_people_stopped", "Innocent people stopped"),
    ("innocent_people_stopped_twice_or_more", "… of them, stopped twice or more"),
    ("watchlisted_people_alerted", "Watchlisted people alerted on"),
)
#: A period's per-day figures in the report: key and plain words.
PERIOD_DAY_ROWS: Final = (
    ("searches", "Faces searched"),
    ("alerts", "Alerts"),
    ("true_alerts", "Right alerts"),
    ("false_alerts", "Wrong alerts"),
    ("innocent_people_flagged", "Innocent people wrongly flagged"),
    ("incidents", "Incidents"),
    ("reviewed", "Reviewed"),
    ("dismissed", "Dismissed"),
    ("dispatched", "Officer sent"),
    ("intercepted", "People stopped"),
    ("right_person", "… the right person"),
    ("wrong_person", "… the wrong person"),
    ("lost", "Lost"),
    ("operator_busy_h", "Operator hours spent reviewing"),
    ("cost_gbp", "Staff cost (GBP)"),
)

_STYLE: Final = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #1a1a1a; }
h1 { font-size: 1.7rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { padding: 0.25rem 0.75rem; border-bottom: 1px solid #e5e5e5; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.9rem; } .warn { color: #a00000; font-weight: 600; }
code { font-size: 0.85rem; word-break: break-all; }
"""


def number(value: Any, *, digits: int = 3) -> str:
    """A figure for people: thousands separators, a few significant digits, n/a for nothing."""
    if value is None:
        return NOT_APPLICABLE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != value:  # NaN
            return NOT_APPLICABLE
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return str(value)


def percent(value: float | None) -> str:
    """A share as a percentage (n/a for nothing)."""
    return NOT_APPLICABLE if value is None else f"{100.0 * value:.3g}%"


def _table(header: Sequence[str] | None, rows: Iterable[Sequence[str]]) -> str:
    head = ""
    if header:
        head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"
    body = []
    for row in rows:
        cells = [f"<th>{escape(row[0])}</th>"] + [
            f'<td class="n">{escape(c)}</td>' for c in row[1:]
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _p(text: str, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<p{attr}>{escape(text)}</p>"


def _clock(seconds: float) -> str:
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}"


def _watchlist(figures: dict[str, Any]) -> list[str]:
    watchlist = figures["watchlist"]
    parts = [
        _table(
            None,
            [
                ("People on the watchlist", number(watchlist.get("size"))),
                ("Supplied by", watchlist.get("supplied_by", NOT_RECORDED)),
                ("Legal basis", watchlist.get("legal_basis", NOT_RECORDED)),
                ("Authorised by", watchlist.get("authorised_by", NOT_RECORDED)),
                ("Entries expire after", f"{number(watchlist.get('retention_days'))} days"),
            ],
        )
    ]
    missing = [
        label
        for key, label in (
            ("supplied_by", "who supplied the watchlist"),
            ("legal_basis", "the legal basis"),
            ("authorised_by", "who authorised it"),
        )
        if watchlist.get(key, NOT_RECORDED) == NOT_RECORDED
    ]
    if missing:
        parts.append(
            _p(
                "The record does not say " + ", ".join(missing) + ". A deployment should not "
                "start until it does.",
                "warn",
            )
        )
    return parts


def _funnel(figures: dict[str, Any]) -> list[str]:
    f = figures["funnel"]
    reasons = f.get("lost_reasons", {})
    rows = [
        ("Alerts raised by the matcher", number(f["alerts"])),
        ("… of which right (the person on the watchlist)", number(f["true_alerts"])),
        ("… of which wrong (someone else)", number(f["false_alerts"])),
        ("Incidents (repeat alerts of one visit merged)", number(f["incidents"])),
        ("Expired before anyone reviewed them", number(f["expired"])),
        ("Reviewed by an operator", number(f["reviewed"])),
        ("… judged not credible and dismissed", number(f["dismissed"])),
        ("… judged credible", number(f["credible"])),
        ("Officer sent", number(f["dispatched"])),
        ("Person stopped", number(f["intercepted"])),
        ("… the right person", number(f["right_person"])),
        ("… the wrong person", number(f["wrong_person"])),
        ("Lost: no officer free", number(reasons.get("no_officer", 0))),
        ("Lost: the person had left the site", number(reasons.get("left_site", 0))),
        ("Lost: not found", number(reasons.get("not_found", 0))),
    ]
    return [_table(None, rows)]


def _groups(figures: dict[str, Any]) -> list[str]:
    rows = []
    for name, g in figures["groups"].items():
        rows.append(
            (
                name,
                number(g.get("scanned_passers_by")),
                number(g.get("false_alerts")),
                number(g.get("fpir")),
                number(g.get("fnir")),
                number(g.get("wrong_interventions")),
                percent(g.get("wrong_intervention_share")),
            )
        )
    header = (
        "Group",
        "Passers-by scanned",
        "Wrong alerts",
        "Wrong-alert rate per face (FPIR)",
        "Missed rate (FNIR)",
        "Wrongly stopped",
        "Share of the group's passers-by wrongly stopped",
    )
    return [_table(header, rows)]


def _people(figures: dict[str, Any]) -> list[str]:
    people = figures.get("people")
    if not people:
        return []
    overall = people["per_person"]
    rows = [
        ("People on the site", number(people["people"])),
        ("… whose face was scanned", number(people["people_scanned"])),
        ("People not on the watchlist wrongly flagged", number(people["innocent_people_flagged"])),
        ("… flagged twice or more", number(overall["flagged_twice_or_more"])),
        ("Most wrong alerts on one person", number(overall["max_per_flagged"])),
        ("Wrong alerts per person wrongly flagged (mean)", number(overall["mean_per_flagged"])),
        (
            "Share of wrong alerts on the most-flagged 1% of them",
            percent(overall["top_1pct_share"]),
        ),
        (
            "Chance that a visit by someone not on the watchlist raised a wrong alert",
            number(overall["chance_innocent_visit_alerted"]),
        ),
        ("Watchlisted people recognised", number(people["watchlisted_people_alerted"])),
    ]
    stops = overall.get("stops")
    if stops:
        rows += [
            (
                "People not on the watchlist stopped by an officer",
                number(stops["innocent_people_stopped"]),
            ),
            (
                "… stopped twice or more (on different visits)",
                number(stops["innocent_people_stopped_twice_or_more"]),
            ),
        ]
    by_group = [
        (
            name,
            number(g["innocent_people_scanned"]),
            number(g["people_flagged"]),
            number(g["max_per_flagged"]),
            number(g["chance_innocent_visit_alerted"]),
        )
        for name, g in overall["by_group"].items()
    ]
    header = (
        "Group",
        "People scanned (not on the watchlist)",
        "Wrongly flagged",
        "Most flags on one person",
        "Chance a visit is wrongly flagged",
    )
    return [_p(escape(people["in_words"])), _table(None, rows), _table(header, by_group)]


def _period(figures: dict[str, Any]) -> list[str]:
    """The period of days the report's day belongs to: people over the period, then days and a year."""
    period = figures.get("period")
    if not period:
        return []
    people = period["per_person"]
    person_rows = []
    for key, label in PERIOD_PERSON_ROWS:
        figure = people[key]
        interval = figure.get("ci95")
        share = key.startswith("share")
        shown_value = percent(figure["value"]) if share else number(figure["value"])
        if interval is None:
            shown = NOT_APPLICABLE
        elif share:
            shown = f"{percent(interval[0])} to {percent(interval[1])}"
        else:
            shown = f"{number(interval[0])} to {number(interval[1])}"
        person_rows.append((label, shown_value, shown))
    day_rows = []
    for key, label in PERIOD_DAY_ROWS:
        figure = period["per_day"].get(key)
        if figure is None:
            continue
        interval = figure.get("ci95_per_year")
        shown = f"{number(interval[0])} to {number(interval[1])}" if interval else NOT_APPLICABLE
        day_rows.append((label, number(figure["per_day"]), number(figure["per_year"]), shown))
    conversion = period.get("conversion") or {}
    return [
        _p(
            f"{number(period['days_complete'])} simulated days of a {number(period['days'])}-day "
            f"period from {escape(period['first_day'])} (the scenario's day on "
            f"{escape(', '.join(period['calendar_days']))}), with the same people coming back: "
            f"{number(people['people'])} people in all, "
            f"{number(people['people_on_site_two_days_or_more'])} of them on two days or more."
        ),
        _table(("Over the period", "Count", "95% interval (people resampled)"), person_rows),
        _table(("Figure", "Per day (mean)", "Expected in a year", "95% interval"), day_rows),
        _table(
            None,
            [
                ("Alerts that became a stop", percent(conversion.get("alerts_to_interventions"))),
                (
                    "Stops of the right person",
                    percent(conversion.get("interventions_right_person")),
                ),
                ("Incidents reviewed before expiry", percent(conversion.get("incidents_reviewed"))),
                ("Reviews judged credible", percent(conversion.get("reviewed_judged_credible"))),
            ],
        ),
        _p(period["method"], "note"),
    ]


def _how_sure(figures: dict[str, Any]) -> list[str]:
    """How sure the twin is: its record against published deployments, and this scenario's
    uncertainty (docs/validation.md); nothing when neither was run."""
    sure = figures.get("how_sure")
    if not sure:
        return []
    parts = ["<h2>How sure are these figures?</h2>"]
    if "validation" in sure:
        summary = sure["validation"]["summary"]
        ratio = summary.get("median_ratio_predicted_to_published")
        parts.append(
            _p(
                f"Against published deployments it was never fitted to, the twin's 95% interval "
                f"held the published figure in {summary['validation_within']} of "
                f"{summary['validation_rows']} cases; its median prediction was "
                f"{number(ratio)} times the published figure."
            )
        )
        parts.append(
            _table(
                (
                    "Published figure set",
                    "Quantity",
                    "Published",
                    "Predicted (95% interval)",
                    "Row",
                ),
                [
                    (
                        str(row.get("name", row["source"])),
                        str(row["quantity"]),
                        number(row["published"]),
                        f"{number(row['predicted'])} ({number(row['low'])} to {number(row['high'])})",
                        ("fitted" if row["fitted"] else "validation")
                        + ("" if row["within"] else ", outside"),
                    )
                    for row in sure["validation"]["rows"]
                ],
            )
        )
    if "uncertainty" in sure:
        unc = sure["uncertainty"]
        parts.append(
            _p(
                f"Sampling every assumption over its range ({number(unc['samples'])} samples, "
                f"{escape(str(unc['interval']))}):"
            )
        )
        parts.append(
            _table(
                ("Figure", "Median", "Interval", "Moved most by"),
                [
                    (
                        str(entry["meaning"]),
                        number(entry.get("median")),
                        f"{number(entry.get('low_90'))} to {number(entry.get('high_90'))}"
                        if "median" in entry
                        else str(entry.get("absent", "")),
                        ", ".join(entry.get("moved_most_by", [])),
                    )
                    for entry in unc["outputs"].values()
                ],
            )
        )
    return parts


def render_html(figures: dict[str, Any]) -> str:
    """The oversight report as one self-contained HTML page."""
    site, window = figures["site"], figures["window"]
    scanning, alerts = figures["scanning"], figures["alerts"]
    staff, prop = figures["staff"], figures["proportionality"]
    ledger = figures["ledger"]
    check = ledger.get("verification", {})
    name = figures["scenario"]["name"]
    body = [
        f"<h1>Oversight report: {escape(name)}</h1>",
        _p(
            "Produced by a simulation of the deployment (a digital twin). Everything in it is "
            "synthetic: no real person's face or data. It shows what the deployment would do."
        ),
        *(
            [
                _p(
                    "This report is of a period of days: the sections before 'Over the period' "
                    "describe its first simulated day only.",
                    "note",
                )
            ]
            if figures.get("period")
            else []
        ),
        "<h2>What ran, where and when</h2>",
        _table(
            None,
            [
                ("Site", f"{site['name']} ({number(site['area_ha'])} ha)"),
                ("Cameras on the site", number(site["cameras"])),
                ("Cameras running face recognition", number(site["recognition_cameras"])),
                ("Hours covered", f"{_clock(window['start_s'])} to {_clock(window['end_s'])}"),
                ("Simulation seed", str(figures["seed"])),
            ],
        ),
        "<h2>Who was on the watchlist, and on whose authority</h2>",
        *_watchlist(figures),
        "<h2>Faces scanned</h2>",
        _table(
            None,
            [
                ("People who walked through the site", number(scanning["pedestrians"])),
                ("People whose face was scanned", number(scanning["passers_by_scanned"])),
                (
                    "Faces scanned (one per person passing a camera)",
                    number(scanning["faces_scanned"]),
                ),
                (
                    "Passers-by who were on the watchlist",
                    number(scanning["watchlisted_passers_by"]),
                ),
                ("… of whom never recognised", number(scanning["watchlisted_unseen"])),
            ],
        ),
        _p(
            "Faces that did not match were compared and discarded at once: no image or face "
            "template of theirs was kept."
        ),
        "<h2>Alerts</h2>",
        _table(
            None,
            [
                ("Alerts", number(alerts["alerts"])),
                (
                    "Right / wrong",
                    f"{number(alerts['true_alerts'])} / {number(alerts['false_alerts'])}",
                ),
                ("Share of alerts that were right", percent(alerts["precision"])),
                ("Incidents after merging repeat alerts", number(alerts["incidents"])),
                (
                    "Repeat alerts too far apart to be one person",
                    number(alerts["impossible_repeats"]),
                ),
            ],
        ),
        *(["<h2>People wrongly flagged</h2>", *_people(figures)] if figures.get("people") else []),
        "<h2>What happened after the alerts</h2>",
        *_funnel(figures),
        "<h2>Errors by group</h2>",
        *_groups(figures),
        "<h2>Proportionality</h2>",
        _table(
            None,
            [
                ("Faces scanned for each right alert", number(prop["faces_per_true_alert"])),
                (
                    "Faces of people not on the watchlist scanned for each person stopped",
                    number(prop["bystander_faces_per_intervention"]),
                ),
                (
                    "… for each person wrongly stopped",
                    number(prop["bystander_faces_per_wrong_intervention"]),
                ),
            ],
        ),
        "<h2>Staff time and cost</h2>",
        _table(
            None,
            [
                ("Operators on duty", number(staff["operators"])),
                ("Officers on duty", number(staff["officers"])),
                ("Hours on duty", number(staff["duty_h"])),
                (
                    "Share of operators' time spent reviewing",
                    percent(staff["operator_utilisation"]),
                ),
                ("Share of officers' time spent on alerts", percent(staff["officer_utilisation"])),
                ("Staff cost (GBP)", number(staff["cost_gbp"])),
            ],
        ),
        *(["<h2>Over the period</h2>", *_period(figures)] if figures.get("period") else []),
        *_how_sure(figures),
        "<h2>The record</h2>",
        _p(
            f"Every alert and every decision about it was written to a tamper-evident ledger "
            f"({number(ledger.get('entries'))} entries; each carries the fingerprint of the one "
            f"before it)."
        ),
        _p(
            "Checked: intact."
            if check.get("intact")
            else f"Checked: BROKEN at entry {check.get('first_bad_entry')}: {check.get('reason')}",
            "" if check.get("intact") else "warn",
        ),
        f'<p class="note">Fingerprint of the last entry: <code>{escape(str(ledger.get("head_sha256")))}</code></p>',
        _p(
            "How operators judge alerts and how officers reach people are modelled with stated "
            "assumptions (docs/response.md), not measured at this site.",
            "note",
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Oversight report: {escape(name)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
