"""Captions that fit: wrapped to the figure's width, with room kept below the axes.

:func:`place_caption` wraps a caption (:mod:`textwrap`, at a width in characters
computed from the figure width and the font size) and reserves the bottom of a
constrained-layout figure for it, so the caption is never cut off at the figure's
edges nor drawn over the axes' labels. Every figure of :mod:`simcore.report` places
its caption this way; the caption is the figure text with ``gid = "caption"``.
"""

from __future__ import annotations

import textwrap

from matplotlib.figure import Figure

CHAR_WIDTH_EM = 0.6  # an upper bound of DejaVu Sans's mean character width, in ems (about 0.55 on text)
LINE_HEIGHT_EM = 1.35  # matplotlib's line spacing (1.2) plus the descent


def wrap_caption(caption: str, width_in: float, fontsize: float = 7.0) -> str:
    """``caption`` wrapped to lines that fit ``width_in`` inches at ``fontsize`` points
    (kept paragraphs: each line of the input is wrapped on its own)."""
    usable = max(width_in - 0.2, 1.0) * 72.0  # points, a 0.1 in margin each side
    chars = max(int(usable / (CHAR_WIDTH_EM * fontsize)), 20)
    lines = []
    for paragraph in caption.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, chars, break_long_words=True, break_on_hyphens=False) or [""]
    return "\n".join(lines)


def place_caption(fig: Figure, caption: str, fontsize: float = 7.0):
    """Wrap ``caption`` to ``fig``'s width, put it at the bottom centre (``gid =
    "caption"``) and, on a constrained layout, keep that strip free of axes; returns the
    Text artist (None for an empty caption)."""
    if not caption:
        return None
    width, height = fig.get_size_inches()
    text = wrap_caption(caption, width, fontsize)
    n_lines = text.count("\n") + 1
    strip = (n_lines * LINE_HEIGHT_EM * fontsize / 72.0 + 0.08) / height  # share of the figure's height
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set"):
        engine.set(rect=(0, strip, 1, 1 - strip))
    return fig.text(0.5, 0.01 / height, text, ha="center", va="bottom", fontsize=fontsize, gid="caption")
