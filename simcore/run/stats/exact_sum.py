"""Exact sums of float64 values per cell, as fixed-point integers in 32-bit limbs.

:class:`ExactSum` gives the sums of x and of x^2 of the amount metrics with no
rounding at all, whatever the number of values and the order they arrive in, so a
mean is the correctly rounded exact mean and merging stays bit-identical in any
grouping. Each cell holds ``_N_LIMBS`` = 70 int64 limbs (2240 bits: the float64
range plus 2^63 terms); the value is ``sum_j limbs[c, j] 2^(32 j) x 2^-1126``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_LIMB_BITS = 32
_LIMB_MASK = (1 << _LIMB_BITS) - 1
_N_LIMBS = 70  # 2240 bits: float64 range (2^-1126 .. 2^1024 with the mantissa shift) + 2^63 terms
_EXPONENT_BIAS = 1126  # the smallest subnormal, 2^-1074 = 1 x 2^(-1126 + 52), lands on bit 0
_DIGITS_PER_PASS = 1 << 20  # float64 bincounts of digits below 2^33 stay exact: 2^20 x 2^33 = 2^53
_ITEMS_PER_PASS = 1 << 26  # float64 bincounts of 27-bit mantissa halves stay exact: 2^26 x 2^27 = 2^53


@dataclass(frozen=True)
class ExactSum:
    """Exact sums of float64 values per cell as fixed-point integers in 32-bit limbs.

    The sum of cell ``c`` is ``sum_j limbs[c, j] 2^(32 j) x 2^-1126``; limbs are kept
    normalised (digits in ``[0, 2^32)``, the last one signed), so the representation of a
    number is unique and merging (integer addition) is exact, associative and commutative.
    """

    limbs: np.ndarray  # [C, _N_LIMBS] int64

    @staticmethod
    def _normalise(limbs: np.ndarray) -> np.ndarray:
        while True:  # all limbs at once; a carry moves one limb per pass (a few passes in practice)
            carry = limbs[:, :-1] >> _LIMB_BITS  # arithmetic shift: floor division, also for negatives
            if not carry.any():
                return limbs
            limbs[:, :-1] -= carry << _LIMB_BITS
            limbs[:, 1:] += carry

    @staticmethod
    def _add_shifted(limbs: np.ndarray, cells: np.ndarray, integers: np.ndarray, bit: np.ndarray) -> None:
        """``limbs[cells] += integers x 2^bit`` for int64 ``|integers| < 2^63`` (cells may repeat)."""
        sign, magnitude = np.sign(integers), np.abs(integers)
        limb, shift = bit >> 5, bit & 31
        low = (magnitude & _LIMB_MASK) << shift  # < 2^63
        high = (magnitude >> _LIMB_BITS) << shift  # < 2^62
        digits = np.concatenate([low & _LIMB_MASK, (low >> _LIMB_BITS) + (high & _LIMB_MASK), high >> _LIMB_BITS])
        signed = (np.tile(sign, 3) * digits).astype(np.float64)  # |digit| < 2^33: exact
        place = np.tile(cells * _N_LIMBS + limb, 3) + np.repeat(np.arange(3), limb.size)  # in limbs.ravel()
        for first in range(0, signed.size, _DIGITS_PER_PASS):  # float64 sums of 2^20 digits stay exact
            part = slice(first, first + _DIGITS_PER_PASS)
            limbs += np.bincount(place[part], signed[part], minlength=limbs.size).reshape(limbs.shape).astype(np.int64)

    @classmethod
    def from_values(cls, values: np.ndarray, cells: np.ndarray, n_cells: int) -> "ExactSum":
        """Sums of finite float64 ``values`` [m] per cell index ``cells`` [m].

        Each value is ``mantissa x 2^bit`` with an integer ``|mantissa| < 2^53``; the
        mantissas are first summed per (cell, bit) in two 27-bit halves by a float64
        bincount (exact: at most 2^26 values per pass), then the few bucket sums go
        into the limbs.
        """
        limbs = np.zeros((n_cells, _N_LIMBS), np.int64)
        nonzero = values != 0
        values, cells = values[nonzero], cells[nonzero]
        for first in range(0, values.size, _ITEMS_PER_PASS):
            x = values[first:first + _ITEMS_PER_PASS]
            c = cells[first:first + _ITEMS_PER_PASS].astype(np.int64)
            fraction, exponent = np.frexp(x)  # x = fraction 2^exponent, |fraction| in [0.5, 1)
            mantissa = np.ldexp(fraction, 53).astype(np.int64)  # exact: |mantissa| < 2^53
            bit = exponent.astype(np.int64) - 53 + _EXPONENT_BIAS  # x = mantissa 2^(bit - bias), bit >= 0
            lowest = int(bit.min())
            span = int(bit.max()) - lowest + 1
            bucket = c * span + (bit - lowest)
            high = np.bincount(bucket, weights=(mantissa >> 27).astype(np.float64), minlength=n_cells * span)
            low = np.bincount(bucket, weights=(mantissa & ((1 << 27) - 1)).astype(np.float64),
                              minlength=n_cells * span)
            used = np.flatnonzero((high != 0) | (low != 0))
            at_cell, at_bit = used // span, used % span + lowest
            cls._add_shifted(limbs, np.tile(at_cell, 2), np.concatenate([high[used], low[used]]).astype(np.int64),
                             np.concatenate([at_bit + 27, at_bit]))
            cls._normalise(limbs)
        return cls(limbs)

    @classmethod
    def from_integers(cls, integers: np.ndarray, bits: np.ndarray, cells: np.ndarray, n_cells: int) -> "ExactSum":
        """Sums per cell index ``cells`` [m] of ``integers`` [m] (int64, ``|integers| < 2^63``)
        times ``2^(bits - 1126)`` (``bits`` [m] >= 0)."""
        limbs = np.zeros((n_cells, _N_LIMBS), np.int64)
        nonzero = integers != 0
        integers, bits, cells = integers[nonzero], bits[nonzero], cells[nonzero]
        cls._add_shifted(limbs, cells, integers, bits)
        return cls(cls._normalise(limbs))

    def merge(self, other: "ExactSum") -> "ExactSum":
        if self.limbs.shape != other.limbs.shape:
            raise ValueError(f"cannot merge exact sums of shapes {self.limbs.shape} and {other.limbs.shape}")
        return ExactSum(self._normalise(self.limbs + other.limbs))

    def scaled_integer(self, c: int) -> int:
        """The exact sum of cell ``c`` times ``2^1126``, as a Python integer."""
        digits = self.limbs[c]  # normalised: digits 0 .. N-2 in [0, 2^32), the last one signed
        low = int.from_bytes(digits[:-1].astype("<u4").tobytes(), "little")
        return low + (int(digits[-1]) << (_LIMB_BITS * (_N_LIMBS - 1)))

    def ratio(self, c: int, divisor: int) -> float:
        """Correctly rounded ``sum / divisor`` (Python's int division rounds exactly)."""
        return self.scaled_integer(c) / (divisor << _EXPONENT_BIAS)

    @property
    def nbytes(self) -> int:
        return self.limbs.nbytes
