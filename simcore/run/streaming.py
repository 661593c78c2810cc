"""The streaming loop over chunks, written once: reduce each chunk, merge it into the
running statistics, one chunk at a time.

A run's statistics across scenarios are built chunk by chunk so that memory holds one
chunk of per-scenario metrics and one set of mergeable statistics
(:class:`~simcore.run.stats.ChunkStats`), whatever the number of chunks. The in-memory
summary (:func:`simcore.run.summary.summarize`), a stored run's summary
(:class:`simcore.run.job.Job`, merging the statistics its chunks wrote), an
assessment of the service and the analysis's policy groups
(:mod:`simcore.analysis.evaluate`) all go through here, so they merge the same way:
one chunk after the other, in the order given. Merging is exact, but keeping one order
everywhere keeps every result bit-identical to the loops this replaced.

Where the reduction runs: a stored run's chunks are reduced on the devices where the
engine left them (:mod:`simcore.run.chunks`, :class:`~simcore.run.stats.device_finish.DeviceChunk`);
:meth:`RunningStats.add` takes such a chunk as it is, and reduces NumPy metrics (what the
service's assessments and the analyses hand it) on the host with
:func:`~simcore.run.stats.reduce_chunk`. Both give the same bits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from simcore.run.stats import ChunkStats, merge, reduce_chunk
from simcore.run.stats.device_finish import DeviceChunk


class RunningStats:
    """Statistics of the chunks added so far: :meth:`add` reduces one chunk of metrics
    and merges it in, :meth:`merge` merges a chunk already reduced (as a store holds
    them). For loops that keep several streams open at once (one per policy group);
    :func:`stream_stats` is the plain loop."""

    def __init__(self, info: Mapping, storable=None):
        self.info, self.storable = info, storable
        self.stats: ChunkStats | None = None

    def add(self, metrics: Mapping[str, np.ndarray] | DeviceChunk) -> None:
        """Reduce ``metrics`` ``{name: [policy, scenario, ...]}`` (NumPy: on the host) or a
        chunk reduced on the devices (:class:`~simcore.run.stats.device_finish.DeviceChunk`,
        made with this stream's ``info`` and ``storable``) and merge it in."""
        if isinstance(metrics, DeviceChunk):
            self.merge(metrics.result())
        else:
            self.merge(reduce_chunk(metrics, self.info, self.storable))

    def merge(self, part: ChunkStats) -> None:
        # the first chunk is taken as it is, then each one merged after the others
        self.stats = part if self.stats is None else merge(self.stats, part)

    def result(self) -> ChunkStats:
        if self.stats is None:
            raise ValueError("no chunk was streamed: the statistics of nothing are undefined")
        return self.stats


def merge_stream(parts: Iterable[ChunkStats]) -> ChunkStats:
    """Merge reduced chunk statistics one at a time, in order (at least one)."""
    running = RunningStats({})
    for part in parts:
        running.merge(part)
    return running.result()


def stream_stats(chunks: Iterable[Mapping[str, np.ndarray]], info: Mapping, storable=None) -> ChunkStats:
    """Reduce and merge chunks of per-scenario metrics ``{name: [policy, scenario, ...]}``
    one at a time, in order (at least one chunk): ``chunks`` may be a generator, so only
    one chunk of metrics is held. ``info``: the metric table (``SUMMARY_INFO``);
    ``storable`` ``[product]`` bool: the materials of ``p_any_material_shortage``."""
    running = RunningStats(info, storable)
    for metrics in chunks:
        running.add(metrics)
    return running.result()
