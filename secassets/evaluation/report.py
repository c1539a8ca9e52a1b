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
    """In-range, level and alert accuracy per template with 95% bootstrap CIs."""
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
    ax.set_title("Template accuracy (95% bootstrap CI; failures count as wrong)")
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


def leaderboard_table(board: dict[str, Any]) -> str:
    rows = []
    for name in board["ranking"]:
        t = board["templates"][name]

        def fmt(metric: str, t: dict[str, Any] = t) -> str:
            m = t[metric]
            return "n/a" if m["mean"] is None else f"{m['mean']:.2f} [{m['ci_low']:.2f}, {m['ci_high']:.2f}]"

        rows.append({
            "rank": t["rank"], "template": name, "rows": t["rows"], "in-range": fmt("in_range_accuracy"),
            "level": fmt("level_accuracy"), "alert": fmt("alert_accuracy"), "deviation": fmt("mean_deviation"),
            "key points": fmt("key_point_recall"), "parse": fmt("parse_rate"),
            "p50 s": t["latency_s"]["p50"], "p90 s": t["latency_s"]["p90"],
        })
    return markdown_table(rows, ["rank", "template", "rows", "in-range", "level", "alert", "deviation", "key points", "parse", "p50 s", "p90 s"])


def pairwise_table(board: dict[str, Any]) -> str:
    return markdown_table(board["pairwise"], ["a", "b", "n", "in_range_a", "in_range_b", "mcnemar_p", "wilcoxon_p"])


def _md_to_html_table(md: str) -> str:
    lines = [ln.strip().strip("|").split(" | ") for ln in md.splitlines() if ln.strip() and not ln.startswith("|---")]
    head, *body = lines
    cells = "".join(f"<th>{html.escape(c.strip())}</th>" for c in head)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c.strip())}</td>" for c in r) + "</tr>" for r in body)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{rows}</tbody></table>"


def render_html(board: dict[str, Any], plots: dict[str, bytes], context: dict[str, Any]) -> str:
    """A self-contained page (plots inlined as data URIs)."""
    images = "".join(
        f'<figure><img alt="{html.escape(k)}" src="data:image/png;base64,{base64.b64encode(v).decode()}"/></figure>'
        for k, v in plots.items()
    )
    facts = "".join(f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>" for k, v in context.items())
    breakdown = ""
    for name in board["ranking"]:
        for by, groups in board["templates"][name]["breakdowns"].items():
            rows = [{"group": g, **vals} for g, vals in groups.items()]
            breakdown += f"<h3>{html.escape(name)} by {html.escape(by)}</h3>" + _md_to_html_table(
                markdown_table(rows, ["group", "n", "in_range_accuracy", "mean_deviation"])
            )
    style = "body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}img{max-width:100%}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>secassets template leaderboard</title><style>{style}</style></head>"
        f"<body><h1>Prompt template leaderboard</h1><ul>{facts}</ul><h2>Ranking</h2>{_md_to_html_table(leaderboard_table(board))}"
        f"{images}<h2>Paired tests</h2><p>McNemar on in-range, Wilcoxon on deviation, same scenarios.</p>"
        f"{_md_to_html_table(pairwise_table(board)) if board['pairwise'] else '<p>fewer than two templates</p>'}"
        f"<h2>Breakdowns</h2>{breakdown}</body></html>"
    )
