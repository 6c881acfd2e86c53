"""Dashboard: Pilot behaviour (phase icons, per-node panel, selected-phase log, search, failure panel
with retry/skip/quit) and snapshots mid-run and on failure, fed by a scripted runner and a fixed clock."""

from __future__ import annotations

import asyncio

from textual.widgets import Button, DataTable, Log, Static

from screens.dashboard import DashboardApp
from wizard.bootstrap import events as E

T = 1000.0
NODES = (("apps-cp-1", "10.25.13.11", "controlplane"), ("apps-cp-2", "10.25.13.12", "controlplane"),
         ("apps-wk-1", "10.25.13.14", "worker"))
PHASES = (("preflight", "Preflight checks"), ("configs", "Machine configs"), ("apply", "Apply configs (all nodes)"),
          ("etcd", "Bootstrap etcd"), ("kubeconfig", "Kubeconfig"), ("health", "talosctl health"))


def mid_run() -> list[E.Event]:
    return [
        E.RunStarted(cluster="apps", phases=PHASES, budget=1800, nodes=NODES, t=T),
        E.PhaseStarted(phase="preflight", title="Preflight checks", estimate=10, t=T),
        E.CommandStarted(phase="preflight", command="git ls-remote --heads ssh://git@github.com/o/k8s-ops.git release", t=T + 1),
        E.OutputLine(phase="preflight", text="3f2a9c1b\trefs/heads/release", t=T + 2),
        E.PhaseDone(phase="preflight", elapsed=4.2, t=T + 4),
        E.PhaseSkipped(phase="configs", reason="already done: machine configs in the state folder", t=T + 4),
        E.PhaseStarted(phase="apply", title="Apply configs (all nodes)", estimate=300, t=T + 5),
        E.NodeUpdate(node="apps-cp-1", stage="apply", state="done", t=T + 6),
        E.NodeUpdate(node="apps-cp-1", stage="reboot", state="running", t=T + 6),
        E.NodeUpdate(node="apps-cp-2", stage="apply", state="running", t=T + 6),
        E.CommandStarted(phase="apply", command="talosctl apply-config --insecure --nodes 10.25.13.12 --file apps-apps-cp-2.yaml", t=T + 6),
        E.OutputLine(phase="apply", text="rpc error: code = Unavailable desc = connection refused", t=T + 7),
        E.PhaseRetry(phase="apply", attempt=2, delay=1.0, reason="endpoint not reachable yet", node="apps-cp-2", t=T + 7),
    ]


def failing() -> list[E.Event]:
    return mid_run() + [
        E.PhaseFailed(phase="apply", elapsed=61.0, reason="the node rejected the machine config",
                      remedy="fix talconfig.yaml / patches, re-render, then --resume",
                      command="talosctl apply-config --insecure --nodes 10.25.13.12 --file apps-apps-cp-2.yaml", rc=1,
                      last_lines=("error applying new configuration: rpc error: code = InvalidArgument desc = "
                                  "configuration validation failed",), skippable=False, t=T + 66),
    ]


class ScriptedRunner:
    def __init__(self, script, on_failure):
        self.script, self.on_failure, self.decisions = script, on_failure, []

    async def events(self):
        for ev in self.script:
            yield ev
            if isinstance(ev, E.PhaseFailed):
                self.decisions.append(await self.on_failure(ev))
        await asyncio.Event().wait()  # still running


def app_for(script):
    holder = {}

    def factory(on_failure):
        holder["runner"] = ScriptedRunner(script, on_failure)
        return holder["runner"]

    app = DashboardApp(factory, cluster="apps", clock=lambda: T + 75)
    return app, holder


async def settle(pilot, n=4):
    for _ in range(n):
        await pilot.pause()


async def test_mid_run_panels():
    app, _ = app_for(mid_run())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        scr = app.screen_obj
        table = scr.query_one("#dash-phases", DataTable)
        assert table.get_cell("preflight", "icon") == "✔" and table.get_cell("preflight", "time") == "4.2s"
        assert table.get_cell("configs", "icon") == "↷"
        assert table.get_cell("apply", "icon") == "↻" and "retry 2" in table.get_cell("apply", "status")
        assert table.get_cell("apply", "time") == "1:10"  # fixed clock: 75 s after start, apply started at +5
        nodes = scr.query_one("#dash-nodes", DataTable)
        assert nodes.get_cell("apps-cp-1", "apply") == "✔" and nodes.get_cell("apps-cp-1", "reboot") == "…"
        assert nodes.get_cell("apps-wk-1", "etcd") == "-"
        header = str(scr.query_one("#dash-header", Static).render())
        assert "bootstrap apps" in header and "1:15 / budget 30:00 (4%)" in header
        log = scr.query_one("#dash-log", Log)
        assert scr.selected == "apply" and any("connection refused" in line for line in log.lines)
        # pick another phase: follow mode stops, its log shows
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        assert scr.selected == "preflight" and not scr.follow
        assert any("refs/heads/release" in line for line in log.lines)
        # search filters the selected phase's log
        await pilot.press("slash")
        await pilot.press(*"ls-remote", "enter")
        await settle(pilot)
        assert list(log.lines) == ["$ git ls-remote --heads ssh://git@github.com/o/k8s-ops.git release"]
        assert not scr.query_one("#dash-failure").display


async def test_failure_panel_offers_retry_and_no_skip_for_unsafe_phase():
    app, holder = app_for(failing())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        scr = app.screen_obj
        assert scr.query_one("#dash-failure").display
        text = str(scr.query_one("#dash-failure-text", Static).render())
        assert "exit code: 1" in text and "InvalidArgument" in text and "re-render" in text
        assert scr.query_one("#dash-btn-skip", Button).disabled
        await pilot.press("s")  # not safe: ignored
        await settle(pilot)
        assert holder["runner"].decisions == []
        await pilot.press("r")
        await settle(pilot)
        assert holder["runner"].decisions == ["retry"]
        assert not scr.query_one("#dash-failure").display


def test_snapshot_mid_run(snap_compare):
    app, _ = app_for(mid_run())
    assert snap_compare(app, terminal_size=(120, 36), run_before=lambda pilot: settle(pilot))


def test_snapshot_on_failure(snap_compare):
    app, _ = app_for(failing())
    assert snap_compare(app, terminal_size=(120, 36), run_before=lambda pilot: settle(pilot))
