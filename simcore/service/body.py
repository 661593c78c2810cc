"""Request bodies: a size limit and a nesting-depth limit, both enforced before parsing.

A body above ``max_body_bytes`` is refused with 413 while it streams in (by its
Content-Length, or by counting a chunked body): the server never holds more than the
limit. JSON nested deeper than ``max_json_depth`` is refused with 422 after a scan of the
raw bytes and before :func:`json.loads` runs: 500 levels in 1 KB made the parser (and the
recursive checks after it) exceed Python's recursion limit, a 500 that also closed the
client's connection. A run config or an assessment nests about 6 levels.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

QUOTE, BACKSLASH = ord('"'), ord("\\")


class BodyError(Exception):
    """A body refused before or while parsing: ``status`` (413 or 422), ``error`` (one
    line) and ``problems`` ``[(field, message)]``."""

    def __init__(self, status: int, error: str, problems: list[tuple[str, str]]):
        self.status, self.error, self.problems = status, error, problems
        super().__init__(error)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of ``[`` / ``{`` in UTF-8 JSON text, brackets inside strings
    not counted. Linear and vectorised (NumPy), so a body at the size limit costs a few
    milliseconds; exact for valid JSON, and for invalid JSON never below the depth the
    parser reaches before it stops at the first error."""
    data = np.frombuffer(raw, dtype=np.uint8)
    if data.size == 0:
        return 0
    index = np.arange(data.size)
    # a quote is escaped when an odd number of backslashes comes right before it
    last_plain = np.maximum.accumulate(np.where(data == BACKSLASH, -1, index))
    backslashes_before = np.zeros(data.size, dtype=np.int64)
    backslashes_before[1:] = index[:-1] - last_plain[:-1]
    quotes = (data == QUOTE) & (backslashes_before % 2 == 0)
    in_string = (np.cumsum(quotes) - quotes) % 2 == 1
    steps = ((data == ord("[")) | (data == ord("{"))).astype(np.int64) - ((data == ord("]")) | (data == ord("}")))
    steps[in_string] = 0
    return int(max(0, np.cumsum(steps).max()))


def parse_json(raw: bytes, max_depth: int) -> Any:
    """``raw`` parsed as UTF-8 JSON, its depth checked first. Raises :class:`BodyError`
    (422) for text that is not UTF-8, too deep, or not JSON."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(422, "invalid request", [("(body)", f"must be JSON in UTF-8: {exc}")]) from None
    # at most as deep as it has opening brackets: most bodies need no scan
    depth = json_depth(raw) if raw.count(b"[") + raw.count(b"{") > max_depth else 0
    if depth > max_depth:
        raise BodyError(422, f"request body nested {depth} levels deep, above the limit of {max_depth}", [
            ("(body)", f"JSON may nest at most {max_depth} levels (max_json_depth), got {depth}")])
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(422, "invalid request", [("(body)", f"must be JSON: {exc}")]) from None
    except RecursionError:  # not reached within the depth limit; a clear answer all the same
        raise BodyError(422, "request body nested too deeply", [
            ("(body)", f"JSON may nest at most {max_depth} levels (max_json_depth)")]) from None


class BodyLimit:
    """ASGI middleware: refuse request bodies above ``limit`` bytes with a JSON 413 (by
    Content-Length, and by counting for chunked bodies). ``respond(status, error,
    problems)`` builds the error response."""

    def __init__(self, app, limit: int, respond):
        self.app, self.limit, self.respond = app, limit, respond

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        too_large = self.respond(413, f"request body above the limit of {self.limit} bytes", [
            {"field": "(body)", "message": f"must be at most {self.limit} bytes (max_body_bytes)"}])
        try:
            if declared is not None and int(declared) > self.limit:
                return await too_large(scope, receive, send)
        except ValueError:
            return await self.respond(400, "bad Content-Length header", [])(scope, receive, send)
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge()
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await too_large(scope, receive, send)


class _TooLarge(Exception):
    pass
