"""Typed events emitted by the bootstrap runner; the dashboard and the console renderer consume the same stream."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    #: monotonic time of the event (the renderers compute elapsed times from it)
    t: float = field(default_factory=time.monotonic, kw_only=True)


@dataclass(frozen=True)
class RunStarted(Event):
    cluster: str
    phases: tuple[tuple[str, str], ...]  # (id, title) in plan order
    budget: float  # seconds (NFR2: 30 minutes)
    nodes: tuple[tuple[str, str, str], ...] = ()  # (hostname, address, role)


@dataclass(frozen=True)
class PhaseStarted(Event):
    phase: str
    title: str
    estimate: float


@dataclass(frozen=True)
class PhaseProgress(Event):
    phase: str
    message: str


@dataclass(frozen=True)
class OutputLine(Event):
    phase: str
    text: str  # already ANSI-stripped and redacted
    node: str | None = None


@dataclass(frozen=True)
class CommandStarted(Event):
    phase: str
    command: str  # shell-quoted, redacted
    node: str | None = None


@dataclass(frozen=True)
class CommandFinished(Event):
    phase: str
    command: str
    rc: int
    elapsed: float
    node: str | None = None


@dataclass(frozen=True)
class PhaseRetry(Event):
    phase: str
    attempt: int
    delay: float
    reason: str
    node: str | None = None


@dataclass(frozen=True)
class NodeUpdate(Event):
    node: str  # hostname
    stage: str  # apply | reboot | etcd | ready
    state: str  # pending | running | done | skipped | failed


@dataclass(frozen=True)
class PhaseDone(Event):
    phase: str
    elapsed: float
    note: str = ""


@dataclass(frozen=True)
class PhaseSkipped(Event):
    phase: str
    reason: str


@dataclass(frozen=True)
class PhaseFailed(Event):
    phase: str
    elapsed: float
    reason: str
    remedy: str
    command: str = ""
    rc: int | None = None
    last_lines: tuple[str, ...] = ()
    skippable: bool = False


@dataclass(frozen=True)
class RunFinished(Event):
    ok: bool
    elapsed: float
    failed_phase: str | None = None
    remedy: str = ""
    interrupted: bool = False
