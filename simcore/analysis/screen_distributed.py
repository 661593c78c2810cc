"""Blocks of a screen's cases on a Dask distributed cluster (``simcore screen --scheduler
ADDRESS``; docs/screening.md).

The client sends the work (:class:`~simcore.analysis.screen_resume.ScreenWork`, scattered
once to every worker) and one task per missing block of cases; each task runs its block
on the worker's own devices and returns the block's statistics
(:func:`~simcore.analysis.screen_resume.stream_state`: ``O(M c (B + P + S))`` numbers and
the sketch's bins), which the client records in the checkpoint and places at the block's
offset. A task whose worker dies is rerun elsewhere (``retries``). The client is made as
``simcore run --scheduler`` makes it (:func:`simcore.run.distributed.connect`:
``set_as_default=False``, a malformed or unreachable address one line).
"""

from __future__ import annotations

from collections.abc import Iterator


def _block_task(work, lo: int, hi: int) -> tuple[int, dict]:
    """Runs on a worker: the statistics of cases ``lo .. hi - 1``."""
    return lo, work.run(lo, hi)


def run_blocks(scheduler, work, ranges: list[tuple[int, int]]) -> Iterator[tuple[int, dict]]:
    """``(lo, state)`` of every block ``(lo, hi)`` of ``ranges`` as its task returns
    (in completion order). ``scheduler``: an address or a ``distributed.Client``."""
    from simcore.run.distributed import connect, submit_all

    if not ranges:
        return
    client, owned = connect(scheduler)
    try:
        yield from submit_all(client, work, _block_task, list(ranges), [lo for lo, _ in ranges],
                              name="simcore-screen", left="the done blocks stay in the store")
    finally:
        if owned:
            client.close()
