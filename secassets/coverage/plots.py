"""The coverage report's plots: sampler shares against their weights, and a cross-tab heatmap."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from secassets.storage.figures import png_bytes


def sampler_plot(report: dict[str, Any]) -> bytes:
    """Observed share vs configured weight for each value of each sampler column."""
    columns = list(report["samplers"])
    fig, axes = plt.subplots(1, len(columns), figsize=(2.6 * len(columns), 3.2), sharey=True)
    for ax, column in zip(axes, columns, strict=True):
        cov = report["samplers"][column]
        values = list(cov["configured"])
        xs = range(len(values))
        ax.bar([x - 0.2 for x in xs], [cov["shares"][v] for v in values], 0.4, label="observed")
        ax.bar([x + 0.2 for x in xs], [cov["configured"][v] for v in values], 0.4, label="configured")
        ax.set_xticks(list(xs), values, rotation=60, fontsize=7)
        ax.set_title(column, fontsize=8)
    axes[0].set_ylabel("share")
    axes[0].legend(fontsize=7)
    return png_bytes(fig)


def coverage_heatmap(tab: dict[str, Any]) -> bytes:
    """Counts of a cross-tab (e.g. scenario_type x enrichment_level); empty cells stand out."""
    rows = list(tab["table"])
    cols = list(next(iter(tab["table"].values())))
    data = [[tab["table"][r][c] for c in cols] for r in rows]
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    im = ax.imshow(data, cmap="viridis")
    ax.set_xticks(range(len(cols)), cols)
    ax.set_yticks(range(len(rows)), rows)
    for i, row in enumerate(data):
        for j, v in enumerate(row):
            ax.text(j, i, str(v), ha="center", va="center", color="white" if v < max(map(max, data)) / 2 else "black")
    ax.set_title(f"{tab['rows']} x {tab['cols']}")
    fig.colorbar(im, ax=ax)
    return png_bytes(fig)
