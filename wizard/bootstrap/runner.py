"""The asyncio runner: executes the phase DAG (independent phases and branches concurrently), streams
each tool's stdout/stderr line by line as typed events, classifies failures (retry with backoff / done /
fix-then-retry / stop with a remedy), journals everything, and kills process groups on cancel."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from typing import AsyncIterator, Awaitable, Callable

from wizard.bootstrap import events as E
from wizard.bootstrap.journal import Journal, LogFile, completed, read
from wizard.bootstrap.model import Action, Cmd, Context, Func, Parallel, Phase, Result, Step, StepError, Unless
from wizard.bootstrap.phases import BUDGET_SECONDS
from wizard.bootstrap.redact import strip_ansi

Decision = Callable[[E.PhaseFailed], Awaitable[str]]  # → "retry" | "skip" | "quit"
_MAX_FIXES = 3


@dataclass
class RunOptions:
    resume: bool = False
    from_phase: str | None = None
    only: str | None = None
    #: multiplies retry deadlines and phase timeouts (``--sim-speed F`` → 1/F); backoff is paced by the
    #: observed call durations instead (``Retry.pace``)
    time_scale: float = 1.0
    budget: float = BUDGET_SECONDS
    on_failure: Decision | None = None
    journal_name: str = "journal.jsonl"  # verify keeps its own (verify.jsonl)


class Runner:
    def __init__(self, ctx: Context, phases: list[Phase], options: RunOptions | None = None):
        self.ctx, self.phases, self.opt = ctx, phases, options or RunOptions()
        self.by_id = {p.id: p for p in phases}
        for pid in (self.opt.from_phase, self.opt.only):
            if pid and pid not in self.by_id:
                raise ValueError(f"unknown phase {pid!r}; phases: {', '.join(self.by_id)}")
        self._subs: list[Callable[[E.Event], None]] = []
        self.journal: Journal | None = None
        self.log: LogFile | None = None
        self.state: dict[str, str] = {}
        self.result: E.RunFinished | None = None

    # ---- event plumbing ---------------------------------------------------------------------------
    def subscribe(self, cb: Callable[[E.Event], None]) -> None:
        self._subs.append(cb)

    def _emit(self, ev: E.Event) -> None:
        for cb in self._subs:
            cb(ev)

    async def events(self) -> AsyncIterator[E.Event]:
        """Run and yield every event; the last one is ``RunFinished``."""
        q: asyncio.Queue[E.Event] = asyncio.Queue()
        self.subscribe(q.put_nowait)
        task = asyncio.ensure_future(self.run())
        try:
            while True:
                ev = await q.get()
                yield ev
                if isinstance(ev, E.RunFinished):
                    break
            await task
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    def _scaled(self, seconds: float, floor: float) -> float:
        return seconds if self.opt.time_scale == 1 else max(seconds * self.opt.time_scale, min(seconds, floor))

    # ---- selection --------------------------------------------------------------------------------
    def _preselected(self) -> dict[str, str]:
        """Phases not run this time: id → reason."""
        order = [p.id for p in self.phases]
        out: dict[str, str] = {}
        if self.opt.only:
            out = {p: f"not selected (--only {self.opt.only})" for p in order if p != self.opt.only}
        elif self.opt.from_phase:
            out = {p: f"before --from {self.opt.from_phase}" for p in order[: order.index(self.opt.from_phase)]}
        if self.opt.resume:
            for p in completed(read(self.ctx.state_dir / self.opt.journal_name)):
                out.setdefault(p, "completed in an earlier run (journal)")
        return out

    # ---- the DAG loop -----------------------------------------------------------------------------
    async def run(self) -> E.RunFinished:
        ctx = self.ctx
        ctx.state_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(ctx.state_dir, 0o700)
        self.journal = Journal(ctx.state_dir / self.opt.journal_name)
        self.log = LogFile(ctx.state_dir / "logs" / f"{self.journal.run_id}.log")
        t0 = time.monotonic()
        nodes = tuple((n.hostname, n.address, n.role) for n in ctx.answers.nodes)
        self._emit(E.RunStarted(cluster=ctx.name, phases=tuple((p.id, p.title) for p in self.phases),
                                budget=self.opt.budget, nodes=nodes))
        self.journal.write("run-start", cluster=ctx.name, phases=[p.id for p in self.phases],
                           options={"resume": self.opt.resume, "from": self.opt.from_phase, "only": self.opt.only})
        self.state = {p.id: "pending" for p in self.phases}
        for pid, reason in self._preselected().items():
            self.state[pid] = "skipped"
            self._emit(E.PhaseSkipped(phase=pid, reason=reason))
            self.journal.write("phase-skip", phase=pid, reason=reason, selected=False)
        failed: E.PhaseFailed | None = None
        running: dict[asyncio.Task, str] = {}
        try:
            while True:
                if failed is None:
                    for p in self.phases:
                        if self.state.get(p.id, "pending") == "pending" and all(
                                d not in self.by_id or self.state[d] in ("done", "skipped") for d in p.deps):
                            self.state[p.id] = "running"
                            running[asyncio.ensure_future(self._phase(p))] = p.id
                if not running:
                    if failed is None or not await self._decide(failed):
                        break
                    failed = None
                    continue
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    pid = running.pop(task)
                    outcome = task.result()
                    if isinstance(outcome, E.PhaseFailed):
                        self.state[pid] = "failed"
                        failed = failed or outcome
                    else:
                        self.state[pid] = outcome
        except asyncio.CancelledError:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            self._finish(E.RunFinished(ok=False, elapsed=time.monotonic() - t0, interrupted=True,
                                       remedy=f"k8s-wizard bootstrap {ctx.name} --resume"))
            raise
        bad = next((p for p in self.phases if self.state.get(p.id) == "failed"), None)
        ok = bad is None and all(self.state.get(p.id) in ("done", "skipped") for p in self.phases)
        fin = E.RunFinished(ok=ok, elapsed=time.monotonic() - t0, failed_phase=bad.id if bad else None,
                            remedy=failed.remedy if failed and bad else "")
        self._finish(fin)
        return fin

    def _finish(self, fin: E.RunFinished) -> None:
        self.result = fin
        if self.journal:
            self.journal.write("run-end", ok=fin.ok, elapsed=round(fin.elapsed, 3), failed=fin.failed_phase,
                               interrupted=fin.interrupted)
            self.journal.close()
        if self.log:
            self.log.close()
        self._emit(fin)

    async def _decide(self, failed: E.PhaseFailed) -> bool:
        """Ask the UI what to do with a failed phase; True means the loop continues."""
        if self.opt.on_failure is None:
            return False
        choice = await self.opt.on_failure(failed)
        if choice == "retry":
            self.state[failed.phase] = "pending"
            return True
        if choice == "skip" and self.by_id[failed.phase].skippable:
            self.state[failed.phase] = "skipped"
            self._emit(E.PhaseSkipped(phase=failed.phase, reason="skipped by the operator"))
            self.journal.write("phase-skip", phase=failed.phase, reason="skipped by the operator")
            return True
        return False

    # ---- one phase --------------------------------------------------------------------------------
    async def _phase(self, p: Phase) -> str | E.PhaseFailed:
        ctx, t0 = self.ctx, time.monotonic()
        self._emit(E.PhaseStarted(phase=p.id, title=p.title, estimate=p.estimate))
        self.journal.write("phase-start", phase=p.id)
        try:
            async with asyncio.timeout(self._scaled(p.timeout, 30)):
                probe = p.probe(ctx) if p.probe else None
                if probe is not None:
                    done = await self._probe(p.id, probe) if isinstance(probe, Cmd) else probe(ctx)
                    if done:
                        reason = f"already done: {p.probe_desc}" if p.probe_desc else "already done"
                        self._emit(E.PhaseSkipped(phase=p.id, reason=reason))
                        self.journal.write("phase-skip", phase=p.id, reason=reason, elapsed=round(time.monotonic() - t0, 3))
                        return "skipped"
                for step in p.steps(ctx):
                    await self._step(p, step)
        except StepError as e:
            return self._failed(p, t0, e)
        except TimeoutError:
            return self._failed(p, t0, StepError(f"timed out after {self._scaled(p.timeout, 30):.0f}s",
                                                 p.remedy or f"re-run with --from {p.id} once the cause is fixed"))
        elapsed = time.monotonic() - t0
        note = ctx.vars.pop(f"note:{p.id}", "")
        self._emit(E.PhaseDone(phase=p.id, elapsed=elapsed, note=note))
        self.journal.write("phase-done", phase=p.id, elapsed=round(elapsed, 3), note=note)
        return "done"

    def _failed(self, p: Phase, t0: float, e: StepError) -> E.PhaseFailed:
        remedy = e.remedy or p.remedy or (f"read the output above, fix the cause, then re-run with --resume "
                                          f"(or --from {p.id})")
        ev = E.PhaseFailed(phase=p.id, elapsed=time.monotonic() - t0, reason=self.ctx.redactor.text(e.reason),
                           remedy=remedy, command=e.command, rc=e.rc, last_lines=e.last_lines,
                           skippable=p.skippable)
        self._emit(ev)
        self.journal.write("phase-fail", phase=p.id, elapsed=round(ev.elapsed, 3), reason=ev.reason, remedy=ev.remedy,
                           command=ev.command, rc=ev.rc)
        return ev

    async def _probe(self, pid: str, cmd: Cmd) -> bool:
        r = await self._exec(pid, cmd)
        return r.rc == 0 and (cmd.ok is None or cmd.ok(r.output))

    async def _step(self, p: Phase, step: Step) -> None:
        if isinstance(step, Cmd):
            await self._cmd(p, step)
        elif isinstance(step, Func):
            self._stage(step.node, step.stage, "running")
            await step.fn(self.ctx, lambda c: self._exec(p.id, c))
            self._stage(step.node, step.stage, "done")
        elif isinstance(step, Unless):
            known = step.known(self.ctx) if step.known else None
            if known if known is not None else await self._probe(p.id, step.probe):
                self._emit(E.PhaseProgress(phase=p.id, message=step.done_note))
                for s in step.steps:
                    if isinstance(s, Cmd):
                        self._stage(s.node, s.stage, "skipped")
                return
            for s in step.steps:
                await self._step(p, s)
        elif isinstance(step, Parallel):
            try:
                async with asyncio.TaskGroup() as tg:
                    for branch in step.branches:
                        tg.create_task(self._branch(p, branch))
            except* StepError as eg:
                raise eg.exceptions[0] from None

    async def _branch(self, p: Phase, steps: tuple[Step, ...]) -> None:
        for s in steps:
            await self._step(p, s)

    def _stage(self, node: str | None, stage: str | None, state: str) -> None:
        if not node or not stage:
            return
        names = [n.hostname for n in self.ctx.answers.nodes] if node == "*" else [node]
        for n in names:
            self._emit(E.NodeUpdate(node=n, stage=stage, state=state))

    async def _cmd(self, p: Phase, cmd: Cmd) -> Result | None:
        """One command with its retry policy and classification."""
        ctx = self.ctx
        if cmd.when is not None and not cmd.when(ctx):
            return None
        started = time.monotonic()
        deadline = started + self._scaled(cmd.retry.deadline, 10)
        delay = cmd.retry.initial
        attempt = fixes = 0
        while True:
            attempt += 1
            self._stage(cmd.node, cmd.stage, "running")
            r = await self._exec(p.id, cmd, attempt)
            if r.rc == 0 and (cmd.ok is None or cmd.ok(r.output)):
                if cmd.capture:
                    ctx.vars[cmd.capture] = r.stdout
                if cmd.marks:
                    ctx.vars[cmd.marks] = True
                self._stage(cmd.node, cmd.stage, "done")
                return r
            rule = next((x for x in cmd.rules if x.matches(r.rc, r.output)), None)
            if r.rc == 0:  # the tool worked but the state is not the wanted one yet
                rule = None if not cmd.ok_retry else rule
            reason = rule.reason if rule else (cmd.ok_reason if r.rc == 0 else f"exit code {r.rc}")
            if rule and rule.action is Action.DONE:
                self._emit(E.PhaseProgress(phase=p.id, message=f"{cmd.label or cmd.argv[0]}: {rule.reason} (treated as done)"))
                self._stage(cmd.node, cmd.stage, "done")
                return r
            if rule and rule.action is Action.CONFIRM and rule.confirm is not None:
                if await self._probe(p.id, rule.confirm):
                    self._emit(E.PhaseProgress(phase=p.id, message=f"{cmd.label}: {rule.reason} (confirmed, done)"))
                    self._stage(cmd.node, cmd.stage, "done")
                    return r
            elif rule and rule.action is Action.FIX and rule.fix is not None and fixes < _MAX_FIXES:
                fixes += 1
                self._emit(E.PhaseProgress(phase=p.id, message=f"{rule.reason}: recovering"))
                await self._step(p, rule.fix)
                continue
            retryable = (rule is not None and rule.action in (Action.RETRY, Action.CONFIRM)) or (
                r.rc == 0 and cmd.ok_retry)
            wait = cmd.retry.pace(delay, r.elapsed, time.monotonic() - started)
            if not retryable or time.monotonic() + wait > deadline:
                self._stage(cmd.node, cmd.stage, "failed")
                why = reason if not retryable else f"gave up after {attempt} attempts: {reason}"
                tail = tuple(ctx.redactor.text(x) for x in r.output.splitlines()[-12:])
                raise StepError(why, (rule.remedy if rule and rule.remedy else "") or cmd.remedy, command=self._shown(cmd),
                                rc=r.rc, last_lines=tail)
            self._emit(E.PhaseRetry(phase=p.id, attempt=attempt, delay=wait, reason=reason, node=cmd.node))
            self.journal.write("retry", phase=p.id, attempt=attempt, delay=round(wait, 3), reason=reason, node=cmd.node)
            await asyncio.sleep(wait)
            delay = min(delay * cmd.retry.factor, cmd.retry.cap)

    def _shown(self, cmd: Cmd) -> str:
        return self.ctx.redactor.text(cmd.shell(self.ctx))

    # ---- one process --------------------------------------------------------------------------------
    async def _exec(self, pid: str, cmd: Cmd, attempt: int = 1) -> Result:
        """Run once; stream lines; never raises for a non-zero exit (classification is the caller's)."""
        ctx = self.ctx
        data = cmd.stdin.produce(ctx).encode("utf-8") if cmd.stdin else None
        shown = self._shown(cmd)
        self._emit(E.CommandStarted(phase=pid, command=shown, node=cmd.node))
        self.log.line(pid, f"$ {shown}")
        t0 = time.monotonic()
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd.argv_for(ctx), cwd=cmd.cwd, env=ctx.env, start_new_session=True, limit=1 << 20,
                stdin=asyncio.subprocess.PIPE if data is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        except OSError as exc:  # not found / not executable: a classified failure, not a crash
            r = Result(127, f"{cmd.argv[0]}: {exc.strerror}", "", 0.0)
            self._record(pid, cmd, shown, r, attempt)
            return r
        combined: list[str] = []
        out_chunks: list[str] = []

        async def pump(stream, is_stdout: bool) -> None:
            buf = b""
            while True:
                chunk = await stream.read(65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    self._line(pid, cmd, raw, is_stdout, combined, out_chunks)
            if buf:
                self._line(pid, cmd, buf, is_stdout, combined, out_chunks)

        async def feed() -> None:
            if data is not None:
                try:
                    proc.stdin.write(data)
                    await proc.stdin.drain()
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    proc.stdin.close()

        try:
            async with asyncio.timeout(cmd.timeout):
                await asyncio.gather(feed(), pump(proc.stdout, True), pump(proc.stderr, False))
                rc = await proc.wait()
        except TimeoutError:
            await _kill(proc)
            combined.append(f"(killed after {cmd.timeout:.0f}s: context deadline exceeded)")
            rc = 124
        except asyncio.CancelledError:
            await _kill(proc)
            raise
        r = Result(rc, "\n".join(combined), "".join(out_chunks), time.monotonic() - t0)
        self._record(pid, cmd, shown, r, attempt)
        return r

    def _line(self, pid: str, cmd: Cmd, raw: bytes, is_stdout: bool, combined: list[str], out_chunks: list[str]) -> None:
        text = raw.decode("utf-8", errors="replace")
        if is_stdout:
            out_chunks.append(text + "\n")
            if cmd.secret_output:
                return  # secret stdout (op inject): kept in memory for the next command, never shown or logged
        clean = strip_ansi(text.rstrip("\r"))
        combined.append(clean)
        shown = self.ctx.redactor.line(clean)
        if len(shown) > 4000:
            shown = shown[:4000] + " …(truncated)"
        self.log.line(pid, shown)
        if not cmd.quiet:
            self._emit(E.OutputLine(phase=pid, text=shown, node=cmd.node))

    def _record(self, pid: str, cmd: Cmd, shown: str, r: Result, attempt: int) -> None:
        self._emit(E.CommandFinished(phase=pid, command=shown, rc=r.rc, elapsed=r.elapsed, node=cmd.node))
        self.journal.write("cmd", phase=pid, argv=shown, rc=r.rc, elapsed=round(r.elapsed, 4), attempt=attempt,
                           node=cmd.node, stdin=cmd.stdin.describe if cmd.stdin else None)
        self.log.line(pid, f"(exit {r.rc} after {r.elapsed:.2f}s)")


async def _kill(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM the whole process group (helmfile → helm, cilium → its children), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            await asyncio.wait_for(proc.wait(), wait)
            return
        except TimeoutError:
            continue
