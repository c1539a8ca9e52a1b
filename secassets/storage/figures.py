"""Matplotlib figures as PNG bytes that depend only on the figure (headless, no timestamp or version)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

PNG_DPI = 110


def png_bytes(fig: Any) -> bytes:
    """The figure as PNG (its 'Software' tag left out, so a new matplotlib does not change the bytes); closes it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()
