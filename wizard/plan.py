"""Plan and write a rendered tree: each file create/update/unchanged with a unified diff (secrets
only as ciphertext), then one transaction: everything is staged inside the repo and moved into
place; any error or Ctrl-C puts back exactly what was there."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wizard import fsutil
from wizard.render import RenderedFile

Action = Literal["create", "update", "unchanged"]
STAGE_PARENT = ".k8s-wizard/tmp"


@dataclass(frozen=True)
class PlannedFile:
    file: RenderedFile
    action: Action
    diff: str

    @property
    def path(self) -> str:
        return self.file.path


@dataclass
class Plan:
    repo: Path
    files: list[PlannedFile]

    @property
    def changes(self) -> list[PlannedFile]:
        return [f for f in self.files if f.action != "unchanged"]

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "unchanged": 0}
        for f in self.files:
            out[f.action] += 1
        return out

    def summary(self) -> str:
        """One line per file (action, path, why), then the totals."""
        lines = []
        for f in self.files:
            tag = {"create": "+ create   ", "update": "~ update   ", "unchanged": "  unchanged"}[f.action]
            extra = " (encrypted)" if f.file.secret else ""
            why = f"  -- {f.file.note}" if f.file.note and f.action != "unchanged" else ""
            lines.append(f"{tag} {f.path}{extra}{why}")
        c = self.counts()
        lines.append(f"{c['create']} to create, {c['update']} to update, {c['unchanged']} unchanged")
        return "\n".join(lines)

    def diff(self) -> str:
        return "".join(f.diff for f in self.changes)


def _unified(path: str, old: str | None, new: str) -> str:
    a = [] if old is None else old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    lines = difflib.unified_diff(a, b, "/dev/null" if old is None else f"a/{path}", f"b/{path}")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def make_plan(repo: Path, files: Sequence[RenderedFile]) -> Plan:
    repo = Path(repo)
    planned = []
    seen: set[str] = set()
    for f in files:
        if f.path in seen:
            raise ValueError(f"{f.path}: rendered twice")  # a template bug, not an operator error
        seen.add(f.path)
        target = repo / f.path
        old = None
        if target.is_file():
            raw = target.read_bytes()
            old = raw.decode("utf-8", errors="replace")
            if raw == f.content.encode("utf-8"):
                planned.append(PlannedFile(f, "unchanged", ""))
                continue
        elif target.exists():
            raise IsADirectoryError(f"{target}: is a folder, expected a file")
        planned.append(PlannedFile(f, "create" if old is None else "update", _unified(f.path, old, f.content)))
    return Plan(repo, planned)


def _record(path: Path) -> None:
    # Files moved into place were written (staged) by atomic_write under another name: record the
    # final path as well, so the suite-wide plaintext-secret scan sees what actually lands in the repo.
    fsutil.record_write(path)


def apply_plan(plan: Plan, *, verify: Callable[[list[Path]], list[str]] | None = None) -> list[Path]:
    """Write every changed file, or none. ``verify`` checks the staged secret files first (e.g.
    they decrypt); its problems abort before the repo is touched. Returns the paths written."""
    changes = plan.changes
    if not changes:
        return []
    repo = plan.repo.resolve()
    (repo / STAGE_PARENT).mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix="stage-", dir=repo / STAGE_PARENT))
    done: list[tuple[Path, Path | None]] = []  # (target, backup or None when created)
    made_dirs: list[Path] = []
    try:
        staged = []
        for f in changes:
            dst = stage / "new" / f.path
            fsutil.atomic_write(dst, f.file.content, mode=f.file.mode)
            staged.append(dst)
        if verify is not None:
            problems = verify([s for s, f in zip(staged, changes) if f.file.secret])
            if problems:
                raise RuntimeError("refusing to write: " + "; ".join(problems))
        for f, src in zip(changes, staged):
            target = repo / f.path
            for parent in reversed(target.relative_to(repo).parents[:-1]):
                d = repo / parent
                if not d.exists():
                    d.mkdir()
                    made_dirs.append(d)
            backup = None
            if target.exists():
                backup = stage / "old" / f.path
                backup.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(target, backup)  # the original inode survives the replace below
                except OSError:
                    shutil.copy2(target, backup)
            done.append((target, backup))  # before the move: a rollback after it must undo it
            os.replace(src, target)
            _record(target)
    except BaseException:
        _rollback(done, made_dirs)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(repo / STAGE_PARENT, repo)
    return [t for t, _ in done]


def _rollback(done: list[tuple[Path, Path | None]], made_dirs: list[Path]) -> None:
    for target, backup in reversed(done):
        try:
            if backup is not None and backup.exists():
                os.replace(backup, target)
            elif backup is None and target.exists():
                target.unlink()
        except OSError:
            pass  # keep restoring the others; the stage folder still holds the backup
    for d in reversed(made_dirs):
        try:
            d.rmdir()
        except OSError:
            pass


def _remove_empty(folder: Path, stop: Path) -> None:
    while folder != stop and folder.is_dir():
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
