"""Building blocks of the bootstrap plan: commands, in-process steps, parallel branches, probes, the
error-classification rules and retry policies, and the per-cluster context (paths, env, captured values).

Everything here is data: a phase is a function of the context returning steps; only the runner executes.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Union

from wizard.bootstrap.redact import Redactor

if TYPE_CHECKING:
    from wizard.spec import ClusterAnswers, Node


class Action(str, Enum):
    RETRY = "retry"  # transient: back off and run again
    DONE = "done"  # the work was already done (e.g. AlreadyExists)
    CONFIRM = "confirm"  # done only if the rule's `confirm` command succeeds, else retry
    FIX = "fix"  # run the rule's `fix` step, then retry
    STOP = "stop"  # fatal: stop with the remedy


@dataclass(frozen=True)
class Rule:
    """One line of the classification table: output matching ``pattern`` (on failure) → ``action``."""

    pattern: str
    action: Action
    reason: str
    remedy: str = ""
    confirm: "Cmd | None" = None
    fix: "Step | None" = None
    rc: int | None = None  # match only this exit code (e.g. helmfile 3)

    def matches(self, rc: int, output: str) -> bool:
        if self.rc is not None and rc != self.rc:
            return False
        return re.search(self.pattern, output, re.I | re.M) is not None


#: a poll may sleep this many durations of the tool's own call (<= 1/3 of the time spent calling it) ...
POLL_CALLS = 2.0
#: ... or this share of the time already waited, whichever is longer: a late poll then costs ~1 % of a
#: long wait on average, while a wait that just started is polled fast
POLL_SHARE = 0.02


@dataclass(frozen=True)
class Retry:
    """Exponential backoff between attempts; ``deadline`` is the total time the step may keep retrying.

    All in real seconds. ``initial``/``factor``/``cap`` are bounds: ``pace`` fits each sleep to the
    observed duration of the tool's calls, so fast tools are polled faster and a simulated run needs no
    knowledge of its speed. Only ``deadline`` is scaled by ``--sim-speed``."""

    initial: float = 0.2
    factor: float = 1.5
    cap: float = 1.0  # short: a late poll is pure overhead on the critical path (bench target <= 2 %)
    deadline: float = 300.0

    def pace(self, delay: float, call: float, waited: float) -> float:
        """The sleep before the next attempt, in the real time of the tool: ``delay`` (the backoff so
        far), never shorter than the call itself took (a slow endpoint, or many pollers on a small
        machine, is never hammered), at most ``POLL_CALLS`` call durations or ``POLL_SHARE`` of the time
        already ``waited``, and never over ``cap``. Fast tools are simply polled faster."""
        most = min(self.cap, max(POLL_CALLS * call, POLL_SHARE * waited))
        return min(most, max(delay, call))


@dataclass(frozen=True)
class Stdin:
    """Data piped to a command's stdin, produced at run time (never written to disk)."""

    describe: str  # shown in --dry-run and the journal instead of the content
    produce: Callable[["Context"], str]


@dataclass(frozen=True)
class Cmd:
    argv: tuple[str, ...]
    label: str = ""
    cwd: Path | None = None
    stdin: Stdin | None = None
    capture: str | None = None  # store stdout in ctx.vars[capture]
    marks: str | None = None  # ctx.vars[marks] = True when the command itself succeeded (not "treated as done")
    secret_output: bool = False  # output is secret: registered in the redactor, never logged
    ok: Callable[[str], bool] | None = None  # extra success test on the output (rc 0 required too)
    ok_reason: str = ""  # message when ``ok`` fails
    ok_retry: bool = False  # ``ok`` failing means "not yet" (poll again) rather than "wrong" (stop)
    rules: tuple[Rule, ...] = ()
    retry: Retry = field(default_factory=Retry)
    timeout: float = 120.0  # one attempt (kill the process group after it)
    node: str | None = None
    stage: str | None = None  # node stage reported to the per-node panel
    quiet: bool = False  # probe-like: output not streamed to the panel (still journaled)
    remedy: str = ""  # remedy when no rule matches (else the phase's)
    when: Callable[["Context"], bool] | None = None  # evaluated at run time; False = skip this command
    #: arguments known only at run time (e.g. the names of the rendered CRDs) and how --dry-run shows them
    more_args: Callable[["Context"], tuple[str, ...]] | None = None
    more_args_desc: str = ""

    def argv_for(self, ctx: "Context") -> tuple[str, ...]:
        return self.argv + (self.more_args(ctx) if self.more_args else ())

    def shell(self, ctx: "Context | None" = None) -> str:
        argv = self.argv_for(ctx) if ctx is not None else self.argv
        text = " ".join(shlex.quote(a) for a in argv)
        if self.more_args and ctx is None:
            text += f" {self.more_args_desc}"
        if self.stdin:
            text += f"  < {self.stdin.describe}"
        return text


RunFn = Callable[[Cmd], Awaitable["Result"]]


@dataclass(frozen=True)
class Func:
    """An in-process step. ``fn(ctx, run)`` may run commands through ``run`` (journaled) and raises
    ``StepError`` to fail."""

    label: str
    fn: Callable[["Context", RunFn], Awaitable[None]]
    node: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class Parallel:
    """Branches run concurrently (e.g. one per node); each branch is a sequence of steps."""

    label: str
    branches: tuple[tuple["Step", ...], ...]


@dataclass(frozen=True)
class Unless:
    """Run ``steps`` unless ``probe`` succeeds (the "already done?" test of a unit of work).

    ``known`` answers the question in-process when an earlier step already learnt it (e.g. one
    ``helm list`` for every release): True/False, or None to run ``probe``."""

    probe: Cmd
    steps: tuple["Step", ...]
    done_note: str = "already done"
    known: Callable[["Context"], bool | None] | None = None


Step = Union[Cmd, Func, Parallel, Unless]


@dataclass(frozen=True)
class Result:
    rc: int
    output: str  # combined stdout+stderr, ANSI-stripped, NOT redacted (kept in memory only)
    stdout: str
    elapsed: float


class StepError(Exception):
    """A step failed for good: ``reason`` (what), ``remedy`` (what the operator does next)."""

    def __init__(self, reason: str, remedy: str = "", *, command: str = "", rc: int | None = None,
                 last_lines: tuple[str, ...] = ()):
        super().__init__(reason)
        self.reason, self.remedy, self.command, self.rc, self.last_lines = reason, remedy, command, rc, last_lines


@dataclass(frozen=True)
class Phase:
    id: str
    title: str
    deps: tuple[str, ...]
    steps: Callable[["Context"], tuple[Step, ...]]
    estimate: float  # seconds, bare metal [est]
    timeout: float  # seconds for the whole phase
    #: whole-phase "already done?": a command that succeeds when done, or an in-process test
    probe: Callable[["Context"], "Cmd | Callable[[Context], bool] | None"] | None = None
    probe_desc: str = ""
    remedy: str = ""  # default remedy when no rule matches
    skippable: bool = False  # safe to skip from the dashboard


@dataclass
class Context:
    answers: "ClusterAnswers"
    repo: Path
    state_dir: Path
    env: dict[str, str]
    redactor: Redactor = field(default_factory=Redactor)
    vars: dict[str, Any] = field(default_factory=dict)
    identities: list[str] | None = None

    @property
    def name(self) -> str:
        return self.answers.name

    @property
    def talos_dir(self) -> Path:
        return self.repo / "clusters" / self.name / "talos"

    @property
    def flux_dir(self) -> Path:
        return self.repo / "clusters" / self.name / "flux"

    @property
    def bootstrap_dir(self) -> Path:
        return self.repo / "bootstrap" / self.name

    @property
    def clusterconfig(self) -> Path:
        """Private (0700) folder with the plaintext machine configs and the talosconfig."""
        return self.state_dir / "clusterconfig"

    @property
    def talosconfig(self) -> Path:
        return self.clusterconfig / "talosconfig"

    @property
    def kubeconfig(self) -> Path:
        return self.repo / f".kubeconfig-{self.name}"

    @property
    def first_cp(self) -> str:
        """etcd bootstrap and kubeconfig target: the first control-plane IP, never the VIP."""
        return self.answers.first_control_plane.address

    def node_config(self, node: "Node") -> Path:
        # talhelper's default filenameTmpl: <clusterName>-<hostname>.yaml (hostname, not IP)
        return self.clusterconfig / f"{self.name}-{node.hostname}.yaml"

    def talosctl(self, node: str, *args: str) -> tuple[str, ...]:
        """Secure talosctl call on one node, the node also being the endpoint (never the VIP)."""
        return ("talosctl", "--talosconfig", str(self.talosconfig), "--nodes", node, "--endpoints", node, *args)

    def load_identities(self) -> list[str]:
        if self.identities is None:
            from wizard.sops.keys import find_identities

            self.identities = find_identities(self.env)
            for ident in self.identities:
                self.redactor.add(ident)
        return self.identities
