"""The progress ``simcore run`` shows on stderr (rich): a line while compiling, a bar of
scenarios done with scenario-days per second and ETA, a line while summarising."""

from __future__ import annotations

import time


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class RichProgress:
    """Progress on stderr: a line while compiling, a bar with scenarios done,
    scenario-days per second and ETA, a line while summarising."""

    def __init__(self, unit: str = "scenarios", rate: str = "scen-days/s"):
        """``unit``: what the bar counts (``simcore screen``: lanes, case x mix x
        scenario); ``rate``: the label of units x days per second."""
        from rich.console import Console

        self.unit, self.rate = unit, rate

        self.console = Console(stderr=True)
        self.progress = None
        self.task = None
        self.horizon_days = 1
        self._marks: list[tuple[float, int]] = []
        self._estimated = False

    def start(self, total: int, done: int, horizon_days: int) -> None:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, SpinnerColumn,
                                   TextColumn, TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        horizon = self.horizon_days = max(1, int(horizon_days))
        rate = self.rate

        class ScenarioDaysPerSecond(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text(f"{speed * horizon:,.0f} {rate}" if speed else f"- {rate}")

        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<12}"), BarColumn(),
                                 MofNCompleteColumn(), TextColumn(self.unit), ScenarioDaysPerSecond(),
                                 TextColumn("ETA"), TimeRemainingColumn(), TimeElapsedColumn(),
                                 console=self.console, transient=False)
        self.progress.start()
        self.task = self.progress.add_task("starting", total=total, completed=done)
        self._total = total
        self._marks = [(time.perf_counter(), done)]

    def phase(self, text: str | None) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description=text or "running")

    def advance(self, scenarios: int) -> None:
        self.progress.advance(self.task, scenarios)
        now = time.perf_counter()
        done = self._marks[-1][1] + scenarios
        self._marks.append((now, done))
        # the first chunk includes compiling: estimate from the second one on
        if not self._estimated and len(self._marks) >= 3 and done < self._total:
            (t1, d1), (t2, d2) = self._marks[-2], self._marks[-1]
            rate = (d2 - d1) / max(t2 - t1, 1e-9)
            self._estimated = True
            self.console.print(f"estimated time for the remaining {self._total - done:,d} {self.unit}: "
                               f"{_duration((self._total - done) / rate)} "
                               f"({rate * self.horizon_days:,.0f} {self.rate.replace('scen-', 'scenario-')})")

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.update(self.task, description="done")
            self.progress.stop()
