"""Named, seeded random streams: one SeedSequence per replication, one numpy Generator per purpose.

Why named streams: the sequential and the integrated workflow must see the same families (common random
numbers). Arrival times come from the ``arrivals.<route>`` streams and every family attribute from the
``families`` stream, in arrival order and with a fixed number of draws per family, so family *i* has the same
arrival time, crisis colour, number of children, etc. in every workflow: its attributes are row *i* of a block
that depends only on (seed, replication, arrival index). Process draws (durations, routing decisions) use one
stream per purpose, so a workflow that skips a stage does not shift the draws of another stage.

A stream's key is a stable hash of its name, not its creation order: adding a stream never changes the numbers
of the existing ones. No global random state is used anywhere in ketensim.
"""

from __future__ import annotations

import zlib
from bisect import bisect_right
from typing import Sequence

import numpy as np

from sim.kernel.distributions import Distribution

BLOCK = 2048  # draws per refill: amortises the numpy call overhead on the hot path


def stream_key(name: str) -> int:
    """Stable 32-bit key for a stream name (independent of creation order and Python's hash seed)."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of named Generators for one replication of one seed."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, name: str) -> np.random.Generator:
        seq = np.random.SeedSequence(self.seed, spawn_key=(self.replication, stream_key(name)))
        return np.random.Generator(np.random.PCG64(seq))

    def sampler(self, name: str, dist: Distribution) -> "Sampler":
        return Sampler(self.generator(name), dist)

    def chooser(self, name: str, options: Sequence[str], probs: Sequence[float]) -> "Chooser":
        return Chooser(self.generator(name), options, probs)

    def bernoulli(self, name: str) -> "Uniforms":
        return Uniforms(self.generator(name))


class Sampler:
    """Draws from one distribution in blocks; ``next()`` is the cheap per-event call."""

    __slots__ = ("_rng", "_dist", "_buf", "_i")

    def __init__(self, rng: np.random.Generator, dist: Distribution) -> None:
        self._rng, self._dist = rng, dist
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        i = self._i
        self._i = i + 1
        try:  # no length test per draw: running off the block's end is the rare case (once per BLOCK draws)
            return self._buf[i]
        except IndexError:
            self._buf = self._dist.sample(self._rng, BLOCK).tolist()
            self._i = 1
            return self._buf[0]


class Uniforms:
    """Block-buffered U(0,1) draws, for yes/no decisions whose probability may differ per call."""

    __slots__ = ("_rng", "_buf", "_i")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        i = self._i
        self._i = i + 1
        try:  # as Sampler.next
            return self._buf[i]
        except IndexError:
            self._buf = self._rng.random(BLOCK).tolist()
            self._i = 1
            return self._buf[0]

    def chance(self, p: float) -> bool:
        return self.next() < p


class Chooser:
    """A routing decision: picks one named option with fixed probabilities (validated to sum to 1)."""

    __slots__ = ("_u", "_options", "_cum")

    def __init__(self, rng: np.random.Generator, options: Sequence[str], probs: Sequence[float]) -> None:
        self._u = Uniforms(rng)
        # the last option once more at the end: bisect_right() can return len(options) only if u >= 1, which
        # random() never gives; the padding keeps the old min(idx, len - 1) guard without a call per draw
        self._options = (*options, options[-1])
        cum = np.cumsum(np.asarray(probs, dtype=float))
        cum[-1] = 1.0
        self._cum = cum.tolist()

    def next(self) -> str:
        return self._options[bisect_right(self._cum, self._u.next())]
