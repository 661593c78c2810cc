"""API keys (kept only as salted hashes) and per-key rate limits.

Keys come from ``SIMCORE_API_KEYS`` (comma-separated) and/or a key file (one key per
line, ``#`` comments). At start-up each key is turned into ``HMAC-SHA256(secret, key)``
with a server secret kept in ``data_dir/secret`` (created with mode 0600 on first
start), and the plain text is dropped. A request's key is hashed the same way and
compared in constant time. The first 12 hex digits of the hash are the key's public
*id*: it owns jobs (stable across restarts while the secret file stays) and appears in
logs instead of the key.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

KEY_ID_LENGTH = 12
MIN_KEY_LENGTH = 8


def new_key() -> str:
    """A fresh random API key (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def load_secret(data_dir: Path) -> bytes:
    """The server's hashing secret, created on first use (``data_dir/secret``, mode 0600)."""
    path = Path(data_dir) / "secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return bytes.fromhex(path.read_text().strip())
    except (FileNotFoundError, ValueError):
        pass
    value = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value.hex() + "\n")
    return value


def read_key_file(path: Path) -> list[str]:
    """Keys of a key file: one per line, blank lines and ``#`` comments skipped."""
    keys = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            keys.append(line)
    return keys


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the key's public id (never the key)."""

    key_id: str


class KeyStore:
    """Hashed API keys. ``identify(presented)`` -> :class:`Caller` or None."""

    def __init__(self, keys, secret: bytes):
        self._secret = secret
        self._hashes: list[bytes] = []
        for key in keys:
            key = key.strip()
            if len(key) < MIN_KEY_LENGTH:
                raise ValueError(f"API keys must have at least {MIN_KEY_LENGTH} characters (a key of "
                                 f"{len(key)} was given; the key itself is not shown)")
            digest = self._digest(key)
            if digest not in self._hashes:
                self._hashes.append(digest)

    def _digest(self, key: str) -> bytes:
        return hmac.new(self._secret, key.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()

    def __len__(self) -> int:
        return len(self._hashes)

    def identify(self, presented: str | None) -> Caller | None:
        if not presented or len(presented) > 1024:
            return None
        digest = self._digest(presented)
        found = None
        for stored in self._hashes:  # compare with every key: time does not depend on which matched
            if hmac.compare_digest(stored, digest):
                found = stored
        return Caller(found.hex()[:KEY_ID_LENGTH]) if found is not None else None


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to the same."""

    def __init__(self, per_minute: int, clock=time.monotonic):
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key_id: str) -> float:
        """Take one token; returns 0.0 if allowed, else the seconds to wait."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return max(0.001, (1.0 - tokens) / self.rate)

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
