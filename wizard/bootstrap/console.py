"""Plain console renderer of runner events (``--plain``, or when stdout is not a terminal): one line
per event, elapsed time since the start, and on failure the command, exit code, last lines and remedy."""

from __future__ import annotations

import sys
from typing import TextIO

from wizard.bootstrap import events as E


def fmt_duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(seconds + 0.5), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class ConsoleRenderer:
    def __init__(self, out: TextIO | None = None, *, show_output: bool = True, what: str = "bootstrap"):
        self.out = out or sys.stdout
        self.show_output = show_output
        #: "bootstrap" (phases) or "verify" (checks): the words of the summary lines.
        self.what = what
        self.unit = "check" if what == "verify" else "phase"
        self.t0: float | None = None
        self.budget = 0.0
        self.titles: dict[str, str] = {}

    def _p(self, ev: E.Event, mark: str, text: str) -> None:
        stamp = fmt_duration(ev.t - self.t0) if self.t0 is not None else "0.0s"
        print(f"[{stamp:>7}] {mark} {text}", file=self.out, flush=True)

    def _more(self, text: str) -> None:
        print(f"{'':10}{text}", file=self.out, flush=True)

    def __call__(self, ev: E.Event) -> None:
        if isinstance(ev, E.RunStarted):
            self.t0, self.budget = ev.t, ev.budget
            self.titles = dict(ev.phases)
            print(f"{self.what} {ev.cluster}: {len(ev.phases)} {self.unit}s, {len(ev.nodes)} nodes, "
                  f"budget {fmt_duration(ev.budget)}", file=self.out, flush=True)
        elif isinstance(ev, E.PhaseStarted):
            self._p(ev, "▶", f"{ev.phase}: {ev.title} (est. {fmt_duration(ev.estimate)})")
        elif isinstance(ev, E.CommandStarted) and self.show_output:
            self._more(f"$ {ev.command}")
        elif isinstance(ev, E.OutputLine) and self.show_output:
            self._more(f"│ {ev.text}")
        elif isinstance(ev, E.PhaseProgress):
            self._more(f"· {ev.message}")
        elif isinstance(ev, E.PhaseRetry):
            who = f" [{ev.node}]" if ev.node else ""
            self._p(ev, "↻", f"{ev.phase}{who}: retry {ev.attempt} in {ev.delay:.1f}s ({ev.reason})")
        elif isinstance(ev, E.NodeUpdate) and ev.state in ("done", "failed"):
            self._more(f"· node {ev.node}: {ev.stage} {ev.state}")
        elif isinstance(ev, E.PhaseDone):
            self._p(ev, "✔", f"{ev.phase} done in {fmt_duration(ev.elapsed)}{' — ' + ev.note if ev.note else ''}")
        elif isinstance(ev, E.PhaseSkipped):
            self._p(ev, "↷", f"{ev.phase} skipped: {ev.reason}")
        elif isinstance(ev, E.PhaseFailed):
            self._p(ev, "✘", f"{ev.phase} FAILED after {fmt_duration(ev.elapsed)}: {ev.reason}")
            if ev.command:
                self._more(f"command:   {ev.command}")
            if ev.rc is not None:
                self._more(f"exit code: {ev.rc}")
            for line in ev.last_lines[-8:]:
                self._more(f"│ {line}")
            if ev.remedy:
                self._more(f"remedy:    {ev.remedy}")
        elif isinstance(ev, E.RunFinished):
            used = f"{100 * ev.elapsed / self.budget:.0f}% of the {fmt_duration(self.budget)} budget" if self.budget else ""
            if ev.ok:
                print(f"{self.what} complete in {fmt_duration(ev.elapsed)} ({used})", file=self.out, flush=True)
            elif ev.interrupted:
                print(f"interrupted after {fmt_duration(ev.elapsed)}; continue with: {ev.remedy}", file=self.out, flush=True)
            else:
                print(f"{self.what} failed in {self.unit} {ev.failed_phase} after {fmt_duration(ev.elapsed)} ({used})",
                      file=self.out, flush=True)
