"""The value types every number of the Japan model is built from, and how they print.

A number never travels bare: it is a :class:`Sourced` (value + where it comes from), a
:class:`Distributed` (a triangular draw with its ``assumption: ... range ...`` label) or,
for a text that is still a modelling choice, a :class:`Labelled`. :class:`Assumption` is
one row of the assumptions table (value, reason, range). The helpers below read the
central or plain value back out (``central``, ``plain``) and format numbers the same way
in every label (``fmt``, ``sig``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sourced:
    """A number with where it comes from: ``data: ...``, ``computed: ...`` or ``assumption: ...``."""

    value: float
    source: str


@dataclass(frozen=True)
class Labelled:
    """A text value that is still a modelling choice (e.g. an essentiality level), with its source."""

    value: str
    source: str


@dataclass(frozen=True)
class Distributed:
    """An uncertain number: triangular ``{low, mode, high}`` drawn per scenario by the engine,
    with its source (an ``assumption: ... range ...`` label). ``value`` is the central value
    (the mode), which the model uses for normal times and ``simulate_given``."""

    low: float
    mode: float
    high: float
    source: str

    @property
    def value(self) -> float:
        return self.mode


@dataclass(frozen=True)
class Assumption:
    """One row of the assumptions table: the central value, why, and the range to vary it over."""

    value: float
    reason: str
    low: float | None = None
    high: float | None = None

    def label(self) -> str:
        rng = f" (range {fmt(self.low)}-{fmt(self.high)})" if self.low is not None and self.high is not None else ""
        return f"assumption: {self.reason}{rng}"


def fmt(x) -> str:
    """A number as the labels print it: whole floats without ".0", else 6 significant digits."""
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def sig(x: float, digits: int = 10) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    return float(f"{x:.{digits}g}")


def drawn(low: float, mode: float, high: float, text: str) -> Distributed:
    """A triangular draw whose mode (and possibly ends) are computed from data rows; the
    label says which ends are data and which are assumed."""
    low, mode, high = (sig(x, 6) for x in (low, mode, high))
    return Distributed(low, mode, high, f"assumption: {text} (range {fmt(low)}-{fmt(high)}, triangular mode "
                                        f"{fmt(mode)}); drawn per scenario")


def central(value):
    """The model's own (central) value: the mode of a distribution, else the plain number."""
    if isinstance(value, Distributed):
        return value.mode
    return plain(value)


def plain(value):
    """``value`` without its sources (a distribution as ``{low, mode, high}``), recursively."""
    if isinstance(value, Distributed):
        return {"low": value.low, "mode": value.mode, "high": value.high}
    if isinstance(value, (Sourced, Labelled)):
        return value.value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
