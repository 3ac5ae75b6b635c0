"""A single self-contained HTML report: summary, filters by status and suite, and for every case its
requirement, message and redacted request/response transcript. No external assets."""

from __future__ import annotations

from html import escape

from harness import __version__
from harness.engine.events import STATUSES, RunResult

_CSS = """body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.4em}
table.sum td,table.sum th{padding:2px 10px;text-align:left}.case{border:1px solid #ccc;margin:4px 0;border-radius:4px}
.case>summary{padding:4px 8px;cursor:pointer}.passed>summary{background:#e6f4ea}.failed>summary{background:#fce8e6}
.error>summary{background:#fff4d6}.skipped>summary{background:#eee}.body{padding:6px 12px}
pre{background:#f7f7f7;padding:6px;overflow:auto;max-height:30em;white-space:pre-wrap}
.badge{display:inline-block;min-width:5em;font-weight:bold}.filters{margin:1em 0}"""

_JS = """function applyFilters(){var s=document.getElementById('f-status').value,u=document.getElementById('f-suite').value;
document.querySelectorAll('.case').forEach(function(d){var ok=(!s||d.dataset.status===s)&&(!u||d.dataset.suite===u);
d.style.display=ok?'':'none';});}
document.addEventListener('DOMContentLoaded',function(){var h=new URLSearchParams(location.hash.slice(1));
if(h.get('status'))document.getElementById('f-status').value=h.get('status');
if(h.get('suite'))document.getElementById('f-suite').value=h.get('suite');applyFilters();});"""


def _case(r) -> str:
    c = r.case
    steps = []
    for s in r.steps:
        items = "".join(f"<li>{'✔' if o.passed else '✘'} {escape(o.kind)}: {escape(o.message)}</li>" for o in s.outcomes)
        ex = "".join(f"<pre>{escape(e.text())}</pre>" for e in s.exchanges)
        err = f"<p><b>error:</b> {escape(s.error)}</p>" if s.error else ""
        steps.append(f"<h4>{'cleanup: ' if s.cleanup else ''}{escape(s.name)}</h4>{err}<ul>{items}</ul>{ex}")
    return (f'<details class="case {r.status}" data-status="{r.status}" data-suite="{escape(c.suite)}" id="{escape(c.id)}"'
            f'{" open" if r.status in ("failed", "error") else ""}>'
            f'<summary><span class="badge">{r.status.upper()}</span> {escape(c.suite)} · <code>{escape(c.id)}</code> — '
            f'{escape(c.title)}</summary><div class="body">'
            f'<p><b>Requirement:</b> {escape(c.requirement.cite())}</p>'
            f'<p><b>Result:</b> {escape(r.message)}</p>'
            f'<p><b>Case file:</b> {escape(c.file)}:{c.line} · versions {escape(", ".join(c.versions))}'
            f' · tags {escape(", ".join(c.tags))}</p>{"".join(steps)}</div></details>')


def render(run: RunResult) -> str:
    counts = run.counts
    rows = "".join(f"<tr><th>{s}</th><td>{counts[s]}</td></tr>" for s in STATUSES)
    suite_opts = "".join(f'<option value="{escape(s)}">{escape(s)}</option>' for s in run.suites)
    status_opts = "".join(f'<option value="{s}">{s}</option>' for s in STATUSES)
    msg = f"<p><b>Run:</b> {escape(run.status)} {escape(run.message)}</p>" if run.message or run.status != "completed" else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>imaging-harness report {escape(run.run_id)}</title>
<style>{_CSS}</style><script>{_JS}</script></head><body>
<h1>imaging-harness report</h1>
<p>Server <code>{escape(run.server)}</code> · FHIR {escape(run.fhir_version or "?")} · {escape(run.software or "")}
 · run {escape(run.run_id)} · {escape(run.started)} · {run.duration_ms / 1000:.1f}s · harness {__version__}</p>{msg}
<table class="sum" id="summary"><tr><th>total</th><td>{len(run.cases)}</td></tr>{rows}</table>
<div class="filters">Status <select id="f-status" onchange="applyFilters()"><option value="">all</option>{status_opts}</select>
 Suite <select id="f-suite" onchange="applyFilters()"><option value="">all</option>{suite_opts}</select></div>
<div id="cases">{"".join(_case(r) for r in run.cases)}</div>
</body></html>
"""
