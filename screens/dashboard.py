"""Live bootstrap dashboard: phase list (state icon, duration, current retry), per-node panel (apply,
reboot, etcd, Ready), the log of the selected phase (follow mode, search), a header with the cluster
and elapsed time against the 30-minute budget, and on failure the command, exit code, last lines and
the choices retry / skip (only where safe) / quit-and-resume-later.

It consumes the runner's typed events (``wizard.bootstrap.events``); it never reaches into the runner.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any, Callable

from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Input, Log, Static

from screens.crash import NoLocalsOnCrash
from wizard.bootstrap import events as E
from wizard.bootstrap.console import fmt_duration

ICONS = {"pending": "·", "running": "▶", "done": "✔", "skipped": "↷", "failed": "✘", "retry": "↻"}
STAGES = ("apply", "reboot", "etcd", "ready")
STAGE_ICONS = {"pending": "·", "running": "…", "done": "✔", "skipped": "↷", "failed": "✘"}
RunnerFactory = Callable[[Callable[[E.PhaseFailed], Any]], Any]


class DashboardScreen(Screen):
    BINDINGS = [
        Binding("r", "retry", "Retry", id="dash.retry"),
        Binding("s", "skip", "Skip", id="dash.skip"),
        Binding("q", "quit_resume", "Quit (resume later)", id="dash.quit"),
        Binding("f", "follow", "Follow", id="dash.follow"),
        Binding("slash", "search", "Search", id="dash.search"),
        Binding("escape", "clear_search", "Clear search", show=False),
    ]

    def __init__(self, runner_factory: RunnerFactory, *, cluster: str, title: str = "bootstrap",
                 clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.factory, self.cluster, self.kind, self._now_fn = runner_factory, cluster, title, clock
        self.t0: float | None = None
        self.budget = 1800.0
        self.order: list[str] = []
        self.state: dict[str, str] = {}
        self.started: dict[str, float] = {}
        self.elapsed: dict[str, float] = {}
        self.note: dict[str, str] = {}
        self.phase_lines: dict[str, deque[str]] = {}
        self.node_rows: list[tuple[str, str, str]] = []
        self.selected: str | None = None
        self.follow = True
        self.search_text = ""
        self.failure: E.PhaseFailed | None = None
        self._decision: asyncio.Future[str] | None = None
        self.finished: E.RunFinished | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="dash-header")
        with Horizontal(id="dash-body"):
            phases = DataTable(id="dash-phases", cursor_type="row", zebra_stripes=False)
            phases.add_column(" ", key="icon", width=2)
            phases.add_column("phase", key="phase", width=16)
            phases.add_column("time", key="time", width=7)
            phases.add_column("status", key="status", width=24)
            yield phases
            with Vertical(id="dash-right"):
                nodes = DataTable(id="dash-nodes", cursor_type="none", show_cursor=False)
                nodes.add_column("node", key="node", width=12)
                nodes.add_column("address", key="address", width=14)
                for stage in STAGES:
                    nodes.add_column(stage, key=stage, width=6)
                yield nodes
                yield Input(placeholder="search the log (Enter), Esc to clear", id="dash-search")
                yield Log(id="dash-log", max_lines=5000, auto_scroll=True)
                with Vertical(id="dash-failure"):
                    yield Static(id="dash-failure-text")
                    with Horizontal(id="dash-failure-buttons"):
                        yield Button("Retry", id="dash-btn-retry", variant="primary")
                        yield Button("Skip", id="dash-btn-skip", variant="warning")
                        yield Button("Quit, resume later", id="dash-btn-quit", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#dash-failure").display = False
        self.query_one("#dash-search").display = False
        self.query_one("#dash-phases").border_title = "phases"
        self.query_one("#dash-nodes").border_title = "nodes"
        self._refill()
        self._header()
        self.set_interval(1.0, self._tick)
        self.run_worker(self._consume(), exclusive=True, group="phases", exit_on_error=False)

    # ---- runner events -----------------------------------------------------------------------------
    async def _consume(self) -> None:
        runner = self.factory(self._on_failure)
        async for ev in runner.events():
            self.handle(ev)

    async def _on_failure(self, ev: E.PhaseFailed) -> str:
        loop = asyncio.get_running_loop()
        self._decision = loop.create_future()
        self._show_failure(ev)
        try:
            return await self._decision
        finally:
            self._decision = None
            self.failure = None
            self.query_one("#dash-failure").display = False
            self._header()
            self.refresh_bindings()

    def handle(self, ev: E.Event) -> None:
        """Apply one event to the view (public so tests can feed scripted events)."""
        if isinstance(ev, E.RunStarted):
            self.t0, self.budget = ev.t, ev.budget
            self.node_rows = list(ev.nodes)
            table = self.query_one("#dash-phases", DataTable)
            for pid, title in ev.phases:
                if pid not in self.state:
                    self.order.append(pid)
                    self.state[pid] = "pending"
                    self.phase_lines[pid] = deque(maxlen=5000)
                    table.add_row(ICONS["pending"], pid, "", title, key=pid)
            nodes = self.query_one("#dash-nodes", DataTable)
            for host, addr, role in ev.nodes:
                if host not in nodes.rows:
                    etcd = "·" if role == "controlplane" else "-"
                    nodes.add_row(host, addr, "·", "·", etcd, "·", key=host)
        elif isinstance(ev, E.PhaseStarted):
            self.state[ev.phase], self.started[ev.phase] = "running", ev.t
            self.note[ev.phase] = ""
            if self.follow:
                self._select(ev.phase)
        elif isinstance(ev, E.OutputLine):
            self._log(ev.phase, ev.text)
        elif isinstance(ev, E.CommandStarted):
            self._log(ev.phase, f"$ {ev.command}")
        elif isinstance(ev, E.PhaseProgress):
            self.note[ev.phase] = ev.message
            self._log(ev.phase, f"· {ev.message}")
        elif isinstance(ev, E.PhaseRetry):
            self.note[ev.phase] = f"retry {ev.attempt}: {ev.reason}"
            self._log(ev.phase, f"↻ retry {ev.attempt} in {ev.delay:.1f}s: {ev.reason}")
        elif isinstance(ev, E.NodeUpdate):
            self._node(ev)
        elif isinstance(ev, E.PhaseDone):
            self.state[ev.phase], self.elapsed[ev.phase] = "done", ev.elapsed
            self.note[ev.phase] = ev.note or "done"
        elif isinstance(ev, E.PhaseSkipped):
            self.state[ev.phase] = "skipped"
            self.note[ev.phase] = ev.reason
        elif isinstance(ev, E.PhaseFailed):
            self.state[ev.phase], self.elapsed[ev.phase] = "failed", ev.elapsed
            self.note[ev.phase] = ev.reason
            self._select(ev.phase)
        elif isinstance(ev, E.RunFinished):
            self.finished = ev
            if ev.ok:
                self.notify(f"{self.kind} {self.cluster} complete in {fmt_duration(ev.elapsed)}", timeout=10)
        if hasattr(ev, "phase"):
            self._row(ev.phase)
        self._header()

    # ---- view helpers -----------------------------------------------------------------------------
    def _now(self) -> float:
        return self._now_fn()

    def _header(self) -> None:
        elapsed = (self._now() - self.t0) if self.t0 is not None and self.finished is None else (
            self.finished.elapsed if self.finished else 0.0)
        done = sum(1 for s in self.state.values() if s in ("done", "skipped"))
        pct = 100 * elapsed / self.budget if self.budget else 0
        status = ("complete" if self.finished.ok else "stopped") if self.finished else (
            f"{self.failure.phase} failed: retry, skip or quit?" if self.failure else "running")
        text = (f"[b]{self.kind} {self.cluster}[/b]   {status}   phases {done}/{len(self.order)}   "
                f"elapsed {fmt_duration(elapsed)} / budget {fmt_duration(self.budget)} ({pct:.0f}%)")
        self.query_one("#dash-header", Static).update(text)

    def _tick(self) -> None:
        self._header()
        for pid, st in self.state.items():
            if st == "running":
                self._row(pid)

    def _row(self, pid: str) -> None:
        table = self.query_one("#dash-phases", DataTable)
        if pid not in table.rows:
            return
        st = self.state.get(pid, "pending")
        if st == "running" and self.note.get(pid, "").startswith("retry"):
            icon = ICONS["retry"]
        else:
            icon = ICONS[st]
        if st == "running" and pid in self.started:
            dur = fmt_duration(self._now() - self.started[pid])
        else:
            dur = fmt_duration(self.elapsed[pid]) if pid in self.elapsed else ""
        table.update_cell(pid, "icon", icon)
        table.update_cell(pid, "time", dur)
        table.update_cell(pid, "status", (self.note.get(pid) or st)[:60])

    def _node(self, ev: E.NodeUpdate) -> None:
        table = self.query_one("#dash-nodes", DataTable)
        if ev.node in table.rows and ev.stage in STAGES:
            table.update_cell(ev.node, ev.stage, STAGE_ICONS.get(ev.state, ev.state))

    def _log(self, pid: str, text: str) -> None:
        self.phase_lines.setdefault(pid, deque(maxlen=5000)).append(text)
        if pid == self.selected and (not self.search_text or self.search_text.lower() in text.lower()):
            self.query_one("#dash-log", Log).write_line(text)

    def _select(self, pid: str) -> None:
        if pid == self.selected:
            return
        self.selected = pid
        self._refill()
        table = self.query_one("#dash-phases", DataTable)
        if pid in table.rows:
            table.move_cursor(row=table.get_row_index(pid))

    def _refill(self) -> None:
        log = self.query_one("#dash-log", Log)
        log.clear()
        q = self.search_text.lower()
        lines = [x for x in self.phase_lines.get(self.selected or "", ()) if not q or q in x.lower()]
        if lines:
            log.write_lines(lines)
        log.border_title = f"log: {self.selected or '-'}" + (f"  (search: {self.search_text})" if self.search_text else "") + (
            "  [follow]" if self.follow else "")

    def _show_failure(self, ev: E.PhaseFailed) -> None:
        self.failure = ev
        lines = "\n".join(f"  │ {x}" for x in ev.last_lines[-6:])
        parts = [f"[b]{ev.phase} failed[/b]: {ev.reason}"]
        if ev.command:
            parts.append(f"command:   {ev.command}")
        if ev.rc is not None:
            parts.append(f"exit code: {ev.rc}")
        if lines:
            parts.append(lines)
        if ev.remedy:
            parts.append(f"remedy:    {ev.remedy}")
        from rich.markup import escape

        text = "\n".join(parts[:1] + [escape(p) for p in parts[1:]])
        self.query_one("#dash-failure-text", Static).update(text)
        self.query_one("#dash-btn-skip", Button).disabled = not ev.skippable
        self.query_one("#dash-failure").display = True
        self._header()
        self.refresh_bindings()

    # ---- actions ----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return True if self._decision is not None else None
        if action == "skip":
            return True if self._decision is not None and self.failure and self.failure.skippable else None
        return True

    def _decide(self, choice: str) -> None:
        if self._decision is not None and not self._decision.done():
            self._decision.set_result(choice)

    def action_retry(self) -> None:
        self._decide("retry")

    def action_skip(self) -> None:
        if self.failure and self.failure.skippable:
            self._decide("skip")

    def action_quit_resume(self) -> None:
        if self._decision is not None:
            self._decide("quit")
            return
        # quitting mid-run cancels the worker: the runner kills its process groups; --resume continues
        self.app.exit(return_code=0 if self.finished and self.finished.ok else 1)

    def action_follow(self) -> None:
        self.follow = not self.follow
        running = [p for p in self.order if self.state.get(p) == "running"]
        if self.follow and running:
            self._select(running[-1])
        self._refill()

    def action_search(self) -> None:
        box = self.query_one("#dash-search", Input)
        box.display = True
        box.focus()

    def action_clear_search(self) -> None:
        box = self.query_one("#dash-search", Input)
        box.value, self.search_text, box.display = "", "", False
        self._refill()

    @on(Input.Submitted, "#dash-search")
    def _search(self, event: Input.Submitted) -> None:
        self.search_text = event.value.strip()
        self._refill()

    @on(DataTable.RowSelected, "#dash-phases")
    def _picked(self, event: DataTable.RowSelected) -> None:
        self.follow = False
        self._select(str(event.row_key.value))
        self._refill()

    @on(Button.Pressed, "#dash-btn-retry")
    def _b_retry(self) -> None:
        self.action_retry()

    @on(Button.Pressed, "#dash-btn-skip")
    def _b_skip(self) -> None:
        self.action_skip()

    @on(Button.Pressed, "#dash-btn-quit")
    def _b_quit(self) -> None:
        self._decide("quit")


class DashboardApp(NoLocalsOnCrash, App):
    """Standalone dashboard (``k8s-wizard bootstrap``); the wizard's Done screen can push
    ``DashboardScreen`` itself instead."""

    CSS_PATH = "dashboard.tcss"
    TITLE = "k8s-wizard"

    def __init__(self, runner_factory: RunnerFactory, *, cluster: str, title: str = "bootstrap",
                 clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.screen_obj = DashboardScreen(runner_factory, cluster=cluster, title=title, clock=clock)

    def on_mount(self) -> None:
        self.push_screen(self.screen_obj)

    def on_worker_state_changed(self, event) -> None:
        from textual.worker import WorkerState

        if event.worker.group == "phases" and event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            fin = self.screen_obj.finished
            if event.state is WorkerState.ERROR:
                self.notify(f"runner error: {event.worker.error}", severity="error", timeout=30)
            elif fin is not None and not fin.ok and not fin.interrupted:
                self.notify("stopped: press q to quit, then re-run with --resume", severity="warning", timeout=30)


def run_dashboard(runner_factory: RunnerFactory, *, cluster: str, title: str = "bootstrap") -> int:
    """Run the dashboard until the operator quits; exit code 0 when the run completed, else 1."""
    app = DashboardApp(runner_factory, cluster=cluster, title=title)
    app.run()
    fin = app.screen_obj.finished
    if fin is not None and not fin.ok and fin.remedy:
        unit = "check" if title == "verify" else "phase"
        print(f"k8s-wizard {title}: stopped in {unit} {fin.failed_phase}. {fin.remedy}")
    if fin is None or not fin.ok:
        print(f"Continue later with: k8s-wizard {title} {cluster} --resume" if title == "bootstrap" else "")
    return 0 if fin is not None and fin.ok else 1
