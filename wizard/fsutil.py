"""Atomic file writes: temp file in the same folder, fsync, rename. Private files get 0600."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def record_write(path: Path) -> None:
    """Record every file k8s-wizard writes when K8S_WIZARD_WRITE_LOG names a folder (the test
    suite scans them all for plaintext secrets at the end of the session)."""
    folder = os.environ.get("K8S_WIZARD_WRITE_LOG")
    if folder:
        try:
            with open(Path(folder) / f"writes-{os.getpid()}.txt", "a", encoding="utf-8") as fh:
                fh.write(f"{path.resolve()}\n")
        except OSError:
            pass  # the audit log is a test aid; it must never make a real write fail


def atomic_write(path: Path, data: bytes | str, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically; ``mode`` (e.g. 0o600) is set before the rename."""
    path = Path(path)
    record_write(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        elif path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
