"""Per-cluster journal: JSON lines in ``<repo>/.k8s-wizard/state/<name>/journal.jsonl``, one fsync'd
record per phase event and per command (redacted argv, exit code, timings). A run killed with SIGKILL
leaves at most a torn last line, which the reader ignores; ``completed()`` drives ``--resume``."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

TERMINAL = {"phase-done", "phase-skip", "phase-fail"}


def _audit(path: Path) -> None:
    # the suite-wide plaintext-secret scan reads the paths atomic_write records; streams register too
    from wizard import fsutil

    fsutil.record_write(path)


class Journal:
    def __init__(self, path: Path, run_id: str | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id or time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
        _audit(self.path)
        self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            os.write(self._fd, b"\n")  # a killed run left a torn line: never glue the next record to it

    def write(self, ev: str, **fields: Any) -> None:
        rec = {"ts": round(time.time(), 3), "run": self.run_id, "ev": ev, **fields}
        data = (json.dumps(rec, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        os.write(self._fd, data)
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read(path: Path) -> list[dict[str, Any]]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    out = []
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # torn write from a killed run
        if isinstance(rec, dict):
            out.append(rec)
    return out


def completed(records: list[dict[str, Any]]) -> set[str]:
    """Phases whose latest terminal record (over all runs) is done/skipped; selection-only skips
    (``--only``/``--from``) do not count."""
    last: dict[str, str] = {}
    for rec in records:
        if rec.get("ev") in TERMINAL and rec.get("phase") and rec.get("selected", True):
            last[rec["phase"]] = rec["ev"]
    return {p for p, ev in last.items() if ev != "phase-fail"}


class LogFile:
    """Human log of a run (ANSI-stripped, redacted): ``logs/<run-id>.log`` beside the journal."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        _audit(self.path)
        self._fh = open(self.path, "a", encoding="utf-8")

    def line(self, phase: str, text: str) -> None:
        self._fh.write(f"{time.strftime('%H:%M:%S')} [{phase}] {text}\n")
        self._fh.flush()

    def close(self) -> None:
        self._fh.close()
