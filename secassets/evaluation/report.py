"""Rendering the leaderboard for people: plots (matplotlib, headless), markdown tables and a self-contained
HTML page. The figures it shows are computed in secassets.evaluation.leaderboard and .statistics."""

from __future__ import annotations

import base64
import html
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from secassets.storage.figures import png_bytes
from secassets.storage.markdown import markdown_table


def accuracy_plot(board: dict[str, Any]) -> bytes:
    """In-range, level and alert accuracy per template with 95% Wilson intervals."""
    names = board["ranking"]
    metrics = ("in_range_accuracy", "level_accuracy", "alert_accuracy", "parse_rate")
    fig, ax = plt.subplots(figsize=(8, 3.8))
    width = 0.8 / len(metrics)
    for j, metric in enumerate(metrics):
        means = [board["templates"][n][metric]["mean"] or 0.0 for n in names]
        lows = [m - (board["templates"][n][metric]["ci_low"] or 0.0) for m, n in zip(means, names, strict=True)]
        highs = [(board["templates"][n][metric]["ci_high"] or 0.0) - m for m, n in zip(means, names, strict=True)]
        xs = [i + (j - (len(metrics) - 1) / 2) * width for i in range(len(names))]
        ax.bar(xs, means, width, yerr=[lows, highs], capsize=2, label=metric.replace("_", " "))
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share of evaluation rows")
    ax.set_title("Template accuracy (95% Wilson intervals; failures count as wrong)")
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    return png_bytes(fig)


def deviation_plot(evals: dict[str, pd.DataFrame], order: list[str]) -> bytes:
    """Distribution of deviation from the ground-truth range per template."""
    fig, ax = plt.subplots(figsize=(8, 3.5))
    data = [evals[n]["deviation"].astype(float).tolist() for n in order]
    ax.boxplot(data, tick_labels=order, showmeans=True)
    ax.set_ylabel("points outside the ground-truth range")
    ax.set_title("Deviation from ground truth (0 = inside the range)")
    return png_bytes(fig)


def _fmt(m: dict[str, Any]) -> str:
    return "n/a" if m["mean"] is None else f"{m['mean']:.2f} [{m['ci_low']:.2f}, {m['ci_high']:.2f}]"


def leaderboard_table(board: dict[str, Any]) -> str:
    """Per template: each headline metric with its interval, chance, ceiling and the verdict in words."""
    rows = []
    for name in board["ranking"]:
        t = board["templates"][name]
        ir = t["in_range_accuracy"]
        rows.append({
            "rank": t["rank"], "template": name, "version": t.get("version", "unrecorded"), "rows": t["rows"], "in-range": _fmt(ir), "chance": ir["chance"],
            "ceiling": ir["ceiling"], "normalized": ir["normalized"], "reading": ir["verdict"],
            "level": f"{_fmt(t['level_accuracy'])} ({t['level_accuracy']['verdict']})",
            "alert": f"{_fmt(t['alert_accuracy'])} ({t['alert_accuracy']['verdict']})",
            "deviation": f"{_fmt(t['mean_deviation'])} ({t['mean_deviation']['verdict']})",
            "key points": _fmt(t["key_point_recall"]), "parse": _fmt(t["parse_rate"]),
            "answers": "constant" if t["answers"]["constant"] else "vary",
            "p50 s": t["latency_s"]["p50"],
        })
    return markdown_table(rows, ["rank", "template", "version", "rows", "in-range", "chance", "ceiling", "normalized", "reading",
                                 "level", "alert", "deviation", "key points", "parse", "answers", "p50 s"])


def source_table(board: dict[str, Any]) -> str:
    """Per template and source (scenario, edge_case, curated): in-range, level and alert accuracy, each with that
    source's own chance, ceiling and verdict; a person's labels next to the generator's."""
    rows = []
    for name in board["ranking"]:
        for source, t in board["templates"][name].get("by_source", {}).items():
            ir = t["in_range_accuracy"]
            rows.append({
                "template": name, "source": source, "rows": t["rows"], "in-range": _fmt(ir), "chance": ir["chance"],
                "ceiling": ir["ceiling"], "reading": ir["verdict"],
                "level": f"{_fmt(t['level_accuracy'])} (chance {t['level_accuracy']['chance']}; {t['level_accuracy']['verdict']})",
                "alert": f"{_fmt(t['alert_accuracy'])} (chance {t['alert_accuracy']['chance']}; {t['alert_accuracy']['verdict']})",
                "parse": _fmt(t["parse_rate"]),
            })
    return markdown_table(rows, ["template", "source", "rows", "in-range", "chance", "ceiling", "reading", "level",
                                 "alert", "parse"])


def pairwise_table(board: dict[str, Any]) -> str:
    return markdown_table(board["pairwise"], ["a", "b", "n", "in_range_a", "in_range_b", "mcnemar_p", "mcnemar_p_holm",
                                              "wilcoxon_p", "wilcoxon_p_holm"])


def stability_table(board: dict[str, Any]) -> str | None:
    rows = [{"template": n, **s} for n in board["ranking"] if (s := board["templates"][n]["stability"])]
    if not rows:
        return None
    return markdown_table(rows, ["template", "repeats", "in_range_agreement", "level_agreement", "score_spread",
                                 "fully_stable_share"])


def side_by_side_table(side: list[dict[str, Any]], templates: list[str], limit: int = 20) -> str:
    """The compact per-scenario table for the Dagster metadata (disagreements first)."""
    ordered = sorted(side, key=lambda r: (not r["disagree"], r["scenario_hash"]))[:limit]
    rows = [{"scenario": r["scenario_hash"][:10], "type": r["scenario_type"], "truth": r["truth"],
             **{t: (f"{a['score']} {a['level']} ({a['verdict']})" if (a := r["answers"].get(t)) and a["score"] is not None
                    else (a or {}).get("verdict", "")) for t in templates},
             "changed": ", ".join(r["changed_since_baseline"])} for r in ordered]
    return markdown_table(rows, ["scenario", "type", "truth", *templates, "changed"])


def _side_by_side_html(side: list[dict[str, Any]], templates: list[str], model: str = "") -> str:
    head = "".join(f"<th>{html.escape(t)}</th>" for t in templates)
    body = []
    for r in side:
        cells = []
        for t in templates:
            a = r["answers"].get(t)
            if a is None:
                cells.append("<td></td>")
                continue
            shown = f"{a['score']} {a['level']}" if a["score"] is not None else "no answer"
            drill = (f"<details><summary>{html.escape(shown)} ({html.escape(a['verdict'])})</summary>"
                     f"<pre>{html.escape(str(a['prompt'] or ''))}</pre><b>answer</b><pre>{html.escape(str(a['answer'] or a['error'] or ''))}</pre></details>")
            cells.append(f"<td>{drill}</td>")
        changed = ", ".join(r["changed_since_baseline"])
        body.append(f"<tr data-disagree='{int(r['disagree'])}'><td>{html.escape(r['scenario_hash'][:12])}</td>"
                    f"<td>{html.escape(r['scenario_type'])}</td><td>{html.escape(r['truth'])}</td>{''.join(cells)}"
                    f"<td>{html.escape(changed)}</td></tr>")
    table_id = f"side-{model}" if model else "side"
    toggle = ("<label><input type='checkbox' onchange=\"this.closest('label').nextElementSibling.querySelectorAll("
              "'tbody tr').forEach(r=>r.style.display=(this.checked&&r.dataset.disagree==='0')?'none':'')\"/> only where "
              "templates disagree</label>")
    return (f"{toggle}<table id='{html.escape(table_id)}'><thead><tr><th>scenario</th><th>type</th><th>truth</th>{head}"
            f"<th>changed since baseline</th></tr></thead><tbody>{''.join(body)}</tbody></table>")


def _md_to_html_table(md: str) -> str:
    lines = [ln.strip().strip("|").split(" | ") for ln in md.splitlines() if ln.strip() and not ln.startswith("|---")]
    head, *body = lines
    cells = "".join(f"<th>{html.escape(c.strip())}</th>" for c in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>"


def model_comparison_table(board: dict[str, Any]) -> str:
    """Per template evaluated by two or more models: the models ranked on the same scenarios, or why they are not
    comparable."""
    rows = []
    for template, comparison in board["by_template"].items():
        if "not_comparable" in comparison:
            rows.append({"template": template, "models": "not comparable", "verdict": "; ".join(comparison["not_comparable"])})
            continue
        ranked = ", ".join(f"{m} {_fmt(comparison['templates'][m]['in_range_accuracy'])}" for m in comparison["ranking"])
        rows.append({"template": template, "models": ranked, "verdict": comparison["best"]})
    return markdown_table(rows, ["template", "models", "verdict"])


def _model_section(model: str, board: dict[str, Any], plots: dict[str, bytes], side: list[dict[str, Any]]) -> str:
    images = "".join(
        f'<figure><img alt="{html.escape(model)} {html.escape(k)}" src="data:image/png;base64,{base64.b64encode(v).decode()}"/></figure>'
        for k, v in plots.items()
    )
    breakdown = ""
    for name in board["ranking"]:
        for by, groups in board["templates"][name]["breakdowns"].items():
            rows = [{"group": g, **vals} for g, vals in groups.items()]
            breakdown += f"<h4>{html.escape(name)} by {html.escape(by)}</h4>" + _md_to_html_table(
                markdown_table(rows, ["group", "n", "in_range_accuracy", "mean_deviation"])
            )
    stab = stability_table(board)
    return (
        f"<h2>Model {html.escape(model)}</h2><p><b>{html.escape(board['best'])}</b>. Model identity: "
        f"{html.escape(board.get('model_id', ''))}.</p><h3>Ranking</h3>{_md_to_html_table(leaderboard_table(board))}"
        "<h3>By source</h3><p>Every figure again per source (generated scenarios, edge cases, cases a person labeled), "
        f"each against that source's own chance and ceiling.</p>{_md_to_html_table(source_table(board))}"
        f"{images}<h3>Paired tests</h3><p>Exact McNemar on in-range, Wilcoxon on deviation, same scenarios; "
        "Holm-adjusted p-values next to the raw ones.</p>"
        f"{_md_to_html_table(pairwise_table(board)) if board['pairwise'] else '<p>fewer than two templates</p>'}"
        f"{'<h3>Stability over repeats</h3>' + _md_to_html_table(stab) if stab else ''}"
        f"<h3>Scenario by scenario</h3>{_side_by_side_html(side, board['ranking'], model)}"
        f"<h3>Breakdowns</h3>{breakdown}"
    )


def render_html(board: dict[str, Any], plots: dict[str, dict[str, bytes]], context: dict[str, Any],
                sides: dict[str, list[dict[str, Any]]] | None = None, baseline: dict[str, Any] | None = None) -> str:
    """A self-contained page (plots inlined as data URIs, no script but the disagreement filters): per model the
    templates ranked, then the models compared per template, then the verdicts against the pinned baseline."""
    facts = "".join(f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>" for k, v in context.items())
    sections = "".join(_model_section(m, b, plots.get(m, {}), (sides or {}).get(m, [])) for m, b in board["by_model"].items())
    models = ("<h2>Models compared per template</h2><p>Paired on the same scenarios (Holm-adjusted exact McNemar); "
              "each model in its own prompt format.</p>" + _md_to_html_table(model_comparison_table(board))
              ) if board["by_template"] else ""
    verdicts = ""
    if baseline:
        rows = [{"evaluation": t, **v} for t, v in baseline.items()]
        verdicts = "<h2>Against the pinned baseline</h2>" + _md_to_html_table(
            markdown_table(rows, ["evaluation", "verdict", "detail", "n", "changed_rows"]))
    style = ("body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}"
             "td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top}img{max-width:100%}"
             "pre{white-space:pre-wrap;max-width:480px;font-size:11px}")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>secassets template leaderboard</title><style>{style}</style></head>"
        f"<body><h1>Prompt template leaderboard</h1><p>{html.escape(board['size'])}.</p><ul>{facts}</ul>"
        "<p>Each score with its 95% interval (Wilson for rates, bootstrap for means), chance (the best constant answer "
        "on the same rows), the ceiling (a perfect reader of the template's inputs) and normalized = (score - chance) / "
        f"(ceiling - chance).</p>{verdicts}{models}{sections}</body></html>"
    )
