"""The jobs table of the service: one SQLite row per job (``data_dir/jobs.sqlite``),
with its owner, kind, status, progress and timestamps (:class:`JobRow`), and the
statements that admit, update and delete rows safely under concurrent requests
(:class:`JobDB`; the module doc of :mod:`simcore.service.jobs` says why each holds).
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

ACTIVE = ("queued", "running")
FINISHED = ("complete", "failed", "cancelled")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    status TEXT NOT NULL,
    model TEXT NOT NULL,
    model_version TEXT NOT NULL,
    scenarios INTEGER NOT NULL,
    scenarios_done INTEGER NOT NULL DEFAULT 0,
    phase TEXT,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    restarts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL DEFAULT 'run'
);
CREATE INDEX IF NOT EXISTS jobs_owner ON jobs (owner, status);
"""
JOB_KINDS = ("run", "screen")  # run: a run config into a store; screen: the chokepoint screen (service/screen_job.py)
_ACTIVE_COUNT = "SELECT COUNT(*) FROM jobs WHERE owner = ? AND status IN ('queued', 'running')"


@dataclass
class JobRow:
    id: str
    owner: str
    status: str
    model: str
    model_version: str
    scenarios: int
    scenarios_done: int
    phase: str | None
    created: float
    started: float | None
    finished: float | None
    restarts: int
    error: str | None
    cancel_requested: int
    kind: str = "run"

    def public(self) -> dict:
        base = f"/v1/jobs/{self.id}"
        return {"id": self.id, "kind": self.kind, "status": self.status, "model": self.model, "model_version": self.model_version,
                "scenarios": self.scenarios, "scenarios_done": self.scenarios_done,
                "progress": self.scenarios_done / self.scenarios if self.scenarios else 0.0, "phase": self.phase,
                "created": self.created, "started": self.started, "finished": self.finished,
                "restarts": self.restarts, "error": self.error,
                "links": {"self": base, "events": f"{base}/events", "result": f"{base}/result",
                          "download": f"{base}/result?format=zip"}}


class JobDB:
    """The jobs table (stdlib sqlite3; one connection per call, safe across threads)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(_SCHEMA)
            columns = {r["name"] for r in db.execute("PRAGMA table_info(jobs)")}
            if "kind" not in columns:  # a database of a release before job kinds: its jobs are runs
                db.execute("ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'run'")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.row_factory = sqlite3.Row
        return db

    @staticmethod
    def _insert(db: sqlite3.Connection, row: JobRow) -> None:
        values = row.__dict__
        db.execute(f"INSERT INTO jobs ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                   tuple(values.values()))

    def insert(self, row: JobRow) -> None:
        with self._lock, self._connect() as db:
            self._insert(db, row)

    def admit(self, row: JobRow, limit: int) -> bool:
        """Insert ``row`` if its owner has fewer than ``limit`` queued or running jobs.
        Count and insert are one write transaction (``BEGIN IMMEDIATE`` takes SQLite's
        write lock first), so concurrent requests, in this process or in another server
        on the same database, cannot both take the last slot. False: at the limit."""
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if db.execute(_ACTIVE_COUNT, (row.owner,)).fetchone()[0] >= limit:
                    db.execute("ROLLBACK")
                    return False
                self._insert(db, row)
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
        return True

    def get(self, job_id: str, owner: str | None = None) -> JobRow | None:
        query, args = "SELECT * FROM jobs WHERE id = ?", [job_id]
        if owner is not None:
            query += " AND owner = ?"
            args.append(owner)
        with self._connect() as db:
            found = db.execute(query, args).fetchone()
        return JobRow(**dict(found)) if found else None

    def update(self, job_id: str, **values) -> None:
        if not values:
            return
        with self._lock, self._connect() as db:
            db.execute(f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                       (*values.values(), job_id))

    def update_if(self, job_id: str, statuses: tuple[str, ...], **values) -> bool:
        """``update`` only while the job's status is one of ``statuses`` (one statement:
        no other request can change the status in between). True if it changed the row."""
        with self._lock, self._connect() as db:
            changed = db.execute(f"UPDATE jobs SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ? AND status "
                                 f"IN ({', '.join('?' * len(statuses))})", (*values.values(), job_id, *statuses))
            return changed.rowcount > 0

    def delete(self, job_id: str, statuses: tuple[str, ...] | None = None) -> bool:
        """Delete the row (only while its status is one of ``statuses``, if given). True
        if this call deleted it."""
        query, args = "DELETE FROM jobs WHERE id = ?", [job_id]
        if statuses is not None:
            query += f" AND status IN ({', '.join('?' * len(statuses))})"
            args += statuses
        with self._lock, self._connect() as db:
            return db.execute(query, args).rowcount > 0

    def active_count(self, owner: str) -> int:
        with self._connect() as db:
            return db.execute(_ACTIVE_COUNT, (owner,)).fetchone()[0]

    def list(self, owner: str, limit: int = 100) -> list[JobRow]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE owner = ? ORDER BY created DESC LIMIT ?",
                              (owner, limit)).fetchall()
        return [JobRow(**dict(r)) for r in rows]

    def unfinished(self) -> list[JobRow]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY created").fetchall()
        return [JobRow(**dict(r)) for r in rows]
