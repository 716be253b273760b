"""Server-rendered HTML of the console; every value from the cloud goes through html.escape. The script
(static/console.js) keeps the list live and draws the graph from the JSON API."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from local_cloud.console.saga_kinds import SagaKind

# A saga without a saga-log record is shown with its execution's status.
_EXECUTION_ROLES = {"RUNNING": "in-progress", "SUCCEEDED": "succeeded"}
_GRAPH = """<div id="graph" aria-label="state machine graph"></div>
<p class="legend"><span class="key taken">path taken</span><span class="key retried">retried</span>
<span class="key failed">failed here</span><span class="key current">running now</span></p>"""


def _page(title: str, body: str, page: str, api: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} · saga console</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/_console/static/console.css"></head>
<body data-page="{page}" data-api="{escape(api)}">
<header><a href="/_console/">saga console</a> <span class="where">local cloud</span></header>
<main>{body}</main>
<script src="/_console/static/vendor/cytoscape/cytoscape.min.js"></script>
<script src="/_console/static/vendor/cytoscape-dagre/cytoscape-dagre.min.js"></script>
<script src="/_console/static/console.js"></script>
</body></html>"""


def list_page(
    rows: list[dict[str, Any]],
    panels: list[dict[str, Any]],
    kinds: list[SagaKind],
    args: Mapping[str, str],
    alarms: list[dict[str, Any]] | None = None,
) -> str:
    status, kind, text = args.get("status", ""), args.get("kind", ""), args.get("q", "")
    statuses = dict.fromkeys(status for found in kinds for status in found.statuses)
    status_options = _options([("", "every status"), *((s, s) for s in statuses)], status)
    kind_options = _options([("", "every kind"), *((k.name, k.name) for k in kinds)], kind)
    body = f"""
<section id="metrics">{metrics_html(panels)}</section>
<section id="alarms">{alarms_html(alarms or [])}</section>
<section>
<h1>Sagas <span class="live" id="live">live</span></h1>
<form id="filters" method="get" action="/_console/">
<select name="status" aria-label="status">{status_options}</select>
<select name="kind" aria-label="kind">{kind_options}</select>
<input name="q" value="{escape(text)}" placeholder="saga id or customer" aria-label="search">
<button type="submit">filter</button></form>
<table id="sagas"><thead><tr><th>started</th><th>saga</th><th>kind</th><th>status</th><th>state</th>
<th>failure</th><th>state machine</th></tr></thead><tbody>{rows_html(rows)}</tbody></table>
</section>"""
    return _page("sagas", body, "list")


def rows_html(rows: Iterable[dict[str, Any]]) -> str:
    html = []
    for row in rows:
        failure = row.get("failure") or {}
        failed = f"{failure.get('step', '')}: {failure.get('error', '')}" if failure else ""
        html.append(
            f'<tr data-saga="{escape(row["sagaId"])}" data-status="{escape(str(row["status"]))}">'
            f"<td>{escape(str(row['startedAt']))}</td>"
            f'<td><a href="/_console/{escape(row["path"])}">{escape(row["sagaId"])}</a></td>'
            f"<td>{escape(row['kind'])} · {escape(str(row['coordination']))}</td>"
            f'<td><span class="status {escape(row["statusRole"])}">{escape(str(row["status"]))}</span></td>'
            f"<td>{escape(str(row['state']))}</td><td>{escape(failed)}</td><td>{escape(row['stateMachine'])}</td></tr>"
        )
    return "".join(html) or '<tr><td colspan="7" class="empty">no sagas yet</td></tr>'


def alarms_html(alarms: list[dict[str, Any]]) -> str:
    """Each alarm's state, those in ALARM first."""
    rows = "".join(
        f'<tr data-alarm="{escape(a["name"])}" data-state="{escape(a["state"])}"><td>{escape(a["name"])}</td>'
        f'<td><span class="status {escape(a["stateRole"])}">{escape(a["state"])}</span></td>'
        f"<td>{escape(a['metric'])}</td><td>{escape(a['reason'])}</td></tr>"
        for a in alarms
    )
    firing = sum(1 for a in alarms if a["state"] == "ALARM")
    return f"""<h2>Alarms <small>{firing} of {len(alarms)} in ALARM</small></h2>
<table class="alarms"><thead><tr><th>alarm</th><th>state</th><th>metric</th><th>why</th></tr></thead>
<tbody>{rows or '<tr><td colspan="4" class="empty">no alarm</td></tr>'}</tbody></table>"""


def metrics_html(panels: list[dict[str, Any]]) -> str:
    html = []
    for panel in panels:
        roles = panel["outcomeRoles"]
        outcomes = "".join(
            f'<div class="count"><span class="status {escape(roles[o])}">{escape(o)}</span><b>{n}</b></div>'
            for o, n in panel["outcomes"].items()
        )
        failures = "".join(
            f"<tr><td>{escape(f['step'])}</td><td>{escape(f['error'])}</td><td>{f['count']}</td></tr>"
            for f in panel["failures"]
        )
        html.append(
            f"""<div class="panel" data-kind="{escape(panel["kind"])}">
<h2>{escape(panel["kind"])} metrics <small>namespace {escape(panel["namespace"])}, from the EMF logs</small></h2>
<div class="counts"><div class="count"><span>started</span><b>{panel["started"]}</b></div>{outcomes}</div>
<div class="tables"><table class="failures"><thead><tr><th>failed step</th><th>error</th><th>sagas</th></tr></thead>
<tbody>{failures or '<tr><td colspan="3" class="empty">no failure</td></tr>'}</tbody></table>
{durations_html(panel["durations"])}</div></div>"""
        )
    return "".join(html)


def durations_html(durations: dict[str, dict[str, Any]] | None) -> str:
    """Percentiles per outcome; nothing for a kind that has no duration metric."""
    if durations is None:
        return ""
    rows = "".join(
        f"<tr><td>{escape(outcome)}</td><td>{d['count']}</td><td>{d['p50']:.0f} ms</td><td>{d['p95']:.0f} ms</td></tr>"
        for outcome, d in durations.items()
    )
    return f"""<table class="durations"><thead><tr><th>outcome</th><th>sagas</th><th>p50</th><th>p95</th></tr></thead>
<tbody>{rows or '<tr><td colspan="4" class="empty">no saga ended yet</td></tr>'}</tbody></table>"""


def saga_page(detail: dict[str, Any]) -> str:
    saga = detail["saga"] or {}
    execution = detail["execution"] or {}
    saga_id = saga.get("sagaId") or execution.get("arn", "").rsplit(":", 1)[-1]
    status = str(saga.get("status") or execution.get("status") or "?")
    role = saga.get("statusRole") or _EXECUTION_ROLES.get(status, "ended")
    api = f"/_console/api/{saga['path']}" if saga else ""
    body = f"""
<h1>{escape(saga.get("kind", ""))} saga <code>{escape(saga_id)}</code>
<span class="status {escape(role)}" id="saga-status">{escape(status)}</span></h1>
<p class="meta">state machine <code>{escape(detail["stateMachine"]["name"])}</code> ·
execution {escape(str(execution.get("status", "none")))} · customer {escape(str(saga.get("customerId")))} ·
started {escape(str(saga.get("startedAt") or execution.get("startDate")))}</p>
{failures_html(detail["failures"])}
{_GRAPH if detail["graph"] else ""}<h2>History</h2>
{states_html(detail["states"])}"""
    return _page(f"saga {saga_id}", body, "saga", api)


def failures_html(failures: list[dict[str, Any]]) -> str:
    if not failures:
        return ""
    items = []
    for index, failure in enumerate(failures):
        role = "failed step" if index == 0 else "undo failed"
        items.append(
            f'<li><span class="role">{role}</span> <b class="step">{escape(failure["step"])}</b> raised '
            f'<b class="error">{escape(str(failure["error"]))}</b>: '
            f'<span class="cause">{escape(str(failure["cause"] or ""))}</span></li>'
        )
    return f'<section id="failure"><h2>Failure</h2><ul>{"".join(items)}</ul></section>'


def states_html(states: list[dict[str, Any]]) -> str:
    if not states:
        return '<p class="empty">no execution history</p>'
    rows = []
    for visit in states:
        attempts = "; ".join(
            f"#{n} {_ms(a['durationMs'])}" + (f" {escape(a['error'])}" if a["error"] else " ok")
            for n, a in enumerate(visit["attempts"], start=1)
        )
        css = "caught" if visit["caught"] else ""
        rows.append(
            f'<tr class="{css}" data-state="{escape(visit["state"])}"><td>+{visit["enteredMs"]} ms</td>'
            f"<td>{escape(visit['state'])}</td><td>{escape(visit['type'])}</td><td>{_ms(visit['durationMs'])}</td>"
            f"<td>{visit['retries']}</td><td>{attempts}</td></tr>"
        )
    return (
        '<table id="history"><thead><tr><th>entered</th><th>state</th><th>type</th><th>time in state</th>'
        f"<th>retries</th><th>attempts</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def not_found_page(message: str) -> str:
    return _page("not found", f"<h1>Not found</h1><p>{escape(message)}</p>", "missing")


def _options(choices: list[tuple[str, str]], selected: str) -> str:
    return "".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(label)}</option>'
        for value, label in choices
    )


def _ms(value: int | None) -> str:
    return "running" if value is None else f"{value} ms"
