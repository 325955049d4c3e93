"""The campaign report: report.md and a self-contained report.html (inline
SVG plot of throughput and failures over time, a table of cells), written
into the output directory from the records of results.jsonl."""
import html
import math
import os
import statistics
import time


def summarize(records):
    runs = [r for r in records if r.get("kind") == "run"]
    builds = [r for r in records if r.get("kind") == "build"]
    starts = [r for r in records if r.get("kind") == "start"]
    cells, na = {}, {}
    for s in starts:
        for cid in s.get("cells", []):
            cells.setdefault(cid, [])
        na.update(s.get("na", {}))
    for r in runs:
        cells.setdefault(r["cell"], []).append(r)
    sigs = {}
    for r in runs:
        if not r.get("passed"):
            s = sigs.setdefault(r["signature"], {"count": 0, "cells": set(), "first": r, "crash_dir": r.get("crash_dir")})
            s["count"] += 1
            s["cells"].add(r["cell"])
    bad_builds = [b for b in builds if not b.get("ok")]
    failures = sum(1 for r in runs if not r.get("passed"))
    t0 = min([r["ts"] for r in records if "ts" in r], default=time.time())
    t1 = max([r.get("ts", 0) + r.get("seconds", 0) for r in records if "ts" in r], default=t0)
    return {"runs": runs, "cells": cells, "na": na, "sigs": sigs, "failures": failures, "bad_builds": bad_builds,
            "builds": builds, "t0": t0, "t1": t1, "starts": starts,
            "stops": [r for r in records if r.get("kind") == "stop"]}


def cell_rows(S):
    rows = []
    for cid in sorted(S["cells"]):
        rs = S["cells"][cid]
        ops = [r["ops_per_sec"] for r in rs if r.get("passed") and r.get("ops_per_sec") is not None]
        fails = sum(1 for r in rs if not r.get("passed"))
        rows.append({"cell": cid, "runs": len(rs), "failures": fails,
                     "median": statistics.median(ops) if ops else None,
                     "seconds": sum(r.get("seconds", 0) for r in rs),
                     "status": "FAIL" if fails else ("ok" if rs else "not run")})
    for cid in sorted(S["na"]):
        rows.append({"cell": cid, "runs": 0, "failures": 0, "median": None, "seconds": 0, "status": "n/a"})
    return rows


def fmt_ops(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def fmt_dur(s):
    s = int(s)
    return f"{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def verdict(S):
    if S["failures"] or S["bad_builds"]:
        return "FAIL"
    if S["stops"] and S["stops"][-1].get("why") == "interrupted":
        return "PASS so far (interrupted: budget not spent)"
    if not S["stops"]:
        return "PASS so far (no stop record: running, or killed)"
    return "PASS"


def write(out_dir, records, title="hz3 stress campaign"):
    S = summarize(records)
    rows = cell_rows(S)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(markdown(S, rows, title))
    with open(os.path.join(out_dir, "report.html"), "w") as f:
        f.write(html_page(S, rows, title))
    return S


def header_lines(S):
    visited = sum(1 for c, rs in S["cells"].items() if rs)
    sources = sorted({s.get("source", "?") for s in S["starts"]})
    shards = sorted({s.get("shard") or "all" for s in S["starts"]})
    stops = [s.get("why", "?") for s in S["stops"]]
    return [
        ("verdict", verdict(S)),
        ("wall clock", f"{fmt_dur(S['t1'] - S['t0'])} ({time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(S['t0']))} to "
                       f"{time.strftime('%H:%M:%SZ', time.gmtime(S['t1']))})"),
        ("runs", str(len(S["runs"]))),
        ("run time", fmt_dur(sum(r.get("seconds", 0) for r in S["runs"]))),
        ("failures", f"{S['failures']} ({len(S['sigs'])} unique signatures)"),
        ("cells", f"{visited} of {len(S['cells'])} runnable cells visited; {len(S['na'])} n/a"),
        ("builds", f"{len(S['builds'])} ({len(S['bad_builds'])} failed)"),
        ("source", ", ".join(sources)),
        ("shards", ", ".join(shards)),
        ("invocations", f"{len(S['starts'])} (ended: {', '.join(stops) or 'running or killed'})"),
    ]


def markdown(S, rows, title):
    out = [f"# {title}", ""]
    for k, v in header_lines(S):
        out.append(f"- **{k}**: {v}")
    out += ["", "## Failures by signature", ""]
    if S["sigs"]:
        out += ["| signature | count | cells | first seed | crash dir |", "|---|---:|---|---:|---|"]
        for sig, s in sorted(S["sigs"].items(), key=lambda kv: -kv[1]["count"]):
            out.append(f"| `{sig}` | {s['count']} | {', '.join(sorted(s['cells']))} | {s['first']['seed']} | "
                       f"{s['crash_dir'] or '-'} |")
    else:
        out.append("none")
    if S["bad_builds"]:
        out += ["", "## Failed builds", ""]
        for b in S["bad_builds"]:
            out.append(f"- {b['lane']}-{b['build']}: see {b.get('log')}")
    out += ["", "## Cells", "", "| cell | runs | failures | median ops/s | run time | status |",
            "|---|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r['cell']} | {r['runs']} | {r['failures']} | {fmt_ops(r['median'])} | "
                   f"{fmt_dur(r['seconds'])} | {r['status']} |")
    if S["na"]:
        out += ["", "n/a: " + "; ".join(sorted(set(S["na"].values())))]
    out.append("")
    return "\n".join(out)


def svg_plot(S, width=900, height=300):
    """Throughput (log scale, one dot per passed run, colour by build) and
    failures (red marks and the cumulative count, right axis) over time."""
    runs = sorted(S["runs"], key=lambda r: r["ts"])
    if not runs:
        return "<p>no runs</p>"
    L, R, T, B = 60, 50, 20, 40
    w, h = width - L - R, height - T - B
    t0 = S["t0"]
    tmax = max(r["ts"] + r.get("seconds", 0) - t0 for r in runs) or 1
    ops = [r["ops_per_sec"] for r in runs if r.get("ops_per_sec")]
    lo = math.floor(math.log10(min(ops))) if ops else 0
    hi = math.ceil(math.log10(max(ops))) if ops else 1
    hi = max(hi, lo + 1)
    nf = sum(1 for r in runs if not r.get("passed")) or 1
    X = lambda t: L + w * (t / tmax)
    Y = lambda v: T + h * (1 - (math.log10(v) - lo) / (hi - lo))
    YF = lambda n: T + h * (1 - n / nf)
    colors = {"release": "#1f77b4", "inproc": "#17becf", "asan": "#2ca02c", "tsan": "#9467bd"}
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
         f'<rect x="{L}" y="{T}" width="{w}" height="{h}" fill="none" stroke="#888"/>']
    for d in range(lo, hi + 1):
        y = Y(10 ** d)
        s.append(f'<line x1="{L}" x2="{L + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        s.append(f'<text x="{L - 5}" y="{y + 4:.1f}" text-anchor="end">{fmt_ops(10 ** d)}</text>')
    for i in range(6):
        t = tmax * i / 5
        s.append(f'<text x="{X(t):.1f}" y="{T + h + 15}" text-anchor="middle">{fmt_dur(t)}</text>')
    s.append(f'<text x="{L + w / 2}" y="{height - 5}" text-anchor="middle">time since start</text>')
    s.append(f'<text x="12" y="{T + h / 2}" transform="rotate(-90 12 {T + h / 2})" text-anchor="middle">ops/s (log)</text>')
    cum, pts = 0, [f"{X(0):.1f},{YF(0):.1f}"]
    for r in runs:
        t = r["ts"] + r.get("seconds", 0) - t0
        if r.get("passed") and r.get("ops_per_sec"):
            tip = html.escape(f"{r['cell']} seed={r['seed']} {fmt_ops(r['ops_per_sec'])} ops/s")
            s.append(f'<circle cx="{X(t):.1f}" cy="{Y(r["ops_per_sec"]):.1f}" r="2.5" '
                     f'fill="{colors.get(r.get("build"), "#555")}"><title>{tip}</title></circle>')
        elif not r.get("passed"):
            cum += 1
            tip = html.escape(f"{r['cell']} seed={r['seed']} {r.get('signature')}")
            s.append(f'<path d="M{X(t) - 4:.1f},{T + 4} l8,8 m0,-8 l-8,8" stroke="#d62728" stroke-width="2">'
                     f'<title>{tip}</title></path>')
            pts.append(f"{X(t):.1f},{YF(cum - 1):.1f} {X(t):.1f},{YF(cum):.1f}")
    pts.append(f"{X(tmax):.1f},{YF(cum):.1f}")
    s.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#d62728" stroke-dasharray="4,2"/>')
    s.append(f'<text x="{L + w + 5}" y="{YF(cum) + 4:.1f}" fill="#d62728">{cum} fail</text>')
    lx = L + 10
    for name, c in colors.items():
        s.append(f'<circle cx="{lx}" cy="{T + h - 10}" r="4" fill="{c}"/><text x="{lx + 7}" y="{T + h - 6}">{name}</text>')
        lx += 70
    s.append(f'<text x="{lx}" y="{T + h - 6}" fill="#d62728">x failure, dashed: cumulative failures (right)</text>')
    s.append("</svg>")
    return "\n".join(s)


def html_page(S, rows, title):
    e = html.escape
    v = verdict(S)
    out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(title)}</title><style>",
           "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:2px 8px;font-size:13px}td.n{text-align:right}"
           ".FAIL{background:#fdd}.ok{background:#efe}.na{color:#888}.PASS{color:#080}.FAILv{color:#c00}",
           "</style></head><body>", f"<h1>{e(title)}</h1>",
           f"<p style='font-size:20px'>verdict: <b class='{'FAILv' if v == 'FAIL' else 'PASS'}'>{e(v)}</b></p><ul>"]
    for k, val in header_lines(S):
        out.append(f"<li><b>{e(k)}</b>: {e(val)}</li>")
    out.append("</ul><h2>Throughput and failures over time</h2>")
    out.append(svg_plot(S))
    out.append("<h2>Failures by signature</h2>")
    if S["sigs"]:
        out.append("<table><tr><th>signature</th><th>count</th><th>cells</th><th>first seed</th><th>crash dir</th></tr>")
        for sig, s in sorted(S["sigs"].items(), key=lambda kv: -kv[1]["count"]):
            out.append(f"<tr class='FAIL'><td><code>{e(sig)}</code></td><td class='n'>{s['count']}</td>"
                       f"<td>{e(', '.join(sorted(s['cells'])))}</td><td class='n'>{s['first']['seed']}</td>"
                       f"<td>{e(s['crash_dir'] or '-')}</td></tr>")
        out.append("</table>")
    else:
        out.append("<p>none</p>")
    out.append("<h2>Cells</h2><table><tr><th>cell</th><th>runs</th><th>failures</th><th>median ops/s</th>"
               "<th>run time</th><th>status</th></tr>")
    for r in rows:
        cls = {"FAIL": "FAIL", "ok": "ok", "n/a": "na"}.get(r["status"], "")
        title_attr = f" title='{e(S['na'].get(r['cell'], ''))}'" if r["status"] == "n/a" else ""
        out.append(f"<tr class='{cls}'{title_attr}><td>{e(r['cell'])}</td><td class='n'>{r['runs']}</td>"
                   f"<td class='n'>{r['failures']}</td><td class='n'>{fmt_ops(r['median'])}</td>"
                   f"<td class='n'>{fmt_dur(r['seconds'])}</td><td>{e(r['status'])}</td></tr>")
    out.append("</table>")
    if S["na"]:
        out.append("<p class='na'>n/a: " + e("; ".join(sorted(set(S["na"].values())))) + "</p>")
    out.append("</body></html>\n")
    return "\n".join(out)
