"""Entry point of every fake tool: ``main(tool, argv) -> exit code`` (called by the shims).

Reads the simulator environment, dispatches to ``wizard.sim.tools.<tool>``, applies injected faults,
pads the call to its simulated latency and appends the call to the event log.
"""

from __future__ import annotations

import os
import sys
import time

from wizard.sim import ENV_SCENARIO, ENV_SPEED, ENV_STATE
from wizard.sim import timing
from wizard.sim.state import SimError, locked, log_event, redact_argv


class Fail(Exception):
    """The simulated tool fails: print ``stdout``/``stderr`` and exit with ``rc``."""

    def __init__(self, stderr: str = "", rc: int = 1, stdout: str = ""):
        super().__init__(stderr)
        self.stderr, self.rc, self.stdout = stderr, rc, stdout


class Unsupported(Exception):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Call:
    """One invocation of a fake tool: its argv, environment, scaled clock, output and fault hooks."""

    def __init__(self, tool: str, argv: list[str], env: dict[str, str]):
        self.tool, self.argv, self.env = tool, argv, env
        self.sub = ""
        self.node: str | None = None
        self.forced: set[str] = set()  # modifier effects fired for this call
        self.fired: list[str] = []
        state = env.get(ENV_STATE)
        if not state:
            raise SimError(f"{ENV_STATE} is not set: run the simulated tools through wizard.sim.sim_env()")
        self.state_path = state
        try:
            self.speed = float(env.get(ENV_SPEED) or "1")
        except ValueError:
            raise SimError(f"{ENV_SPEED}={env.get(ENV_SPEED)!r} is not a number") from None
        if self.speed <= 0:
            raise SimError(f"{ENV_SPEED} must be > 0 (got {self.speed})")
        self.scenario = env.get(ENV_SCENARIO) or None
        self._clock: dict | None = None
        self._last = 0.0

    # --- clock -----------------------------------------------------------------------------------
    # Virtual time (timing.virtual_now) from the clock stored in the state: every state access
    # refreshes self._clock and re-bases the stored clock to this call's speed if another speed left it.
    def _on_load(self, st: dict, fix: bool) -> bool:
        c = st.get("clock")
        if c is not None and c.get("speed") == self.speed:
            self._clock = c
            return False
        if not fix:
            return True
        # a state written before the clock existed held wall-clock stamps: virtual = real from now
        st["clock"] = self._clock = timing.rebase(c, self.speed) if c else timing.new_clock(self.speed)
        return True

    def now(self) -> float:
        """Virtual now (seconds; transitions and timeouts compare against it). Never decreases within
        a call, even if a concurrent call at another speed re-based the clock meanwhile."""
        if self._clock is None:
            with self.state(write=False):
                pass
        t = timing.virtual_now(self._clock)
        if t < self._last:
            return self._last
        self._last = t
        return t

    def sleep(self, virtual_seconds: float) -> None:
        timing.sleep(virtual_seconds, self.speed)

    def poll(self) -> None:
        """One poll interval of a waiting tool; at least 10 ms of real time, so a fast speed does not
        turn the wait into a busy loop rewriting the state file."""
        time.sleep(max(timing.PHASE["poll"] / self.speed, 0.01))

    def wait_until(self, target: float) -> None:
        """Sleep until virtual time ``target``, or one poll interval (>= 10 ms real) if that is sooner."""
        left = (target - self.now()) / self.speed
        if left > 0:
            time.sleep(min(left, max(timing.PHASE["poll"] / self.speed, 0.01)))

    def scaled(self, virtual_seconds: float) -> float:
        """Real seconds that ``virtual_seconds`` take at this call's speed."""
        return virtual_seconds / self.speed

    # --- state -----------------------------------------------------------------------------------
    def state(self, write: bool = True) -> locked:
        return locked(self.state_path, write=write, on_load=self._on_load)

    def event(self, name: str, **fields) -> None:
        log_event(self.state_path, {"kind": "event", "event": name, "tool": self.tool, "t": time.time(),
                                    "vt": self.now(), **fields})

    # --- output ----------------------------------------------------------------------------------
    def out(self, text: str = "", end: str = "\n") -> None:
        sys.stdout.write(text + end)
        sys.stdout.flush()

    def err(self, text: str = "", end: str = "\n") -> None:
        sys.stderr.write(text + end)
        sys.stderr.flush()

    # --- faults ----------------------------------------------------------------------------------
    def begin(self, sub: str, *, node: str | None = None, release: str | None = None, target: str = "",
              release_level: bool = False, host: str | None = None) -> None:
        """Record the subcommand and apply the call-level faults (terminal ones raise ``Fail``)."""
        if not release_level:
            self.sub, self.node = sub, node
        if not self.scenario:
            return
        from wizard.sim import faults

        with self.state() as st:
            fl = faults.load_cached(st, self.scenario)
            hits = faults.fire(st, fl, tool=self.tool, argv=self.argv, node=node, release=release,
                               release_level=release_level, sub=sub)
            if hits and host is None:
                host = self._target_host(st)
            new = not (release and any(r.get("name") == release and r.get("history") for r in st["releases"].values()))
        for f in hits:
            self.fired.append(f.id)
            self.event("fault", fault=f.id, effect=f.name or "custom", node=node, release=release, sub=sub)
            if f.delay:
                self.sleep(f.delay)
            if f.name in faults.MODIFIERS:
                self.forced.add(f.name)
                continue
            if f.name:
                if f.name == "helm_pending":
                    self.forced.add("helm_pending")  # the helm code marks the release pending, then fails
                    continue
                from wizard.sim.effects import render

                out, err, rc = render(self.tool, sub, f.name, node=node, host=host, target=target,
                                      release_new=new)
                if f.stderr is not None:
                    err = f.stderr
                if f.stdout is not None:
                    out = f.stdout
                raise Fail(err, f.exit if f.exit is not None else rc, out)
            if f.stderr is not None or f.stdout is not None or f.exit is not None:
                raise Fail(f.stderr or "", 1 if f.exit is None else f.exit, f.stdout or "")


    def _target_host(self, st: dict) -> str:
        """The address this call dials, for the text of an injected network fault: a Kubernetes
        client's ``--server`` or its kubeconfig context's server, talosctl's node (else its first
        endpoint); the VIP when nothing more precise is known."""
        from wizard.sim.args import parse

        vip = st.get("vip", "127.0.0.1")
        if self.tool in ("talosctl", "talhelper"):
            a = parse(self.argv, values={"nodes", "endpoints", "talosconfig"}, aliases={"n": "nodes", "e": "endpoints"})
            return (a.csv("nodes") or a.csv("endpoints") or [vip])[0]
        if self.tool not in ("kubectl", "helm", "helmfile", "flux", "cilium"):
            return vip
        a = parse(self.argv, values={"kubeconfig", "context", "kube-context", "server", "kube-apiserver"},
                  aliases={"s": "server"} if self.tool == "kubectl" else {})
        from wizard.sim.kubeaccess import KubeconfigError, server_host

        try:
            return server_host(st, kubeconfig=a.get("kubeconfig"), context=a.get("context") or a.get("kube-context"),
                               server=a.get("server") or a.get("kube-apiserver"), env=self.env)
        except KubeconfigError:
            return vip


def _emit(text: str, stream) -> None:
    if text:
        stream.write(text if text.endswith("\n") else text + "\n")
        stream.flush()


def main(tool: str, argv: list[str]) -> int:
    start = time.time()
    call = None
    rc = 1
    try:
        call = Call(tool, list(argv), dict(os.environ))
        import importlib

        mod = importlib.import_module(f"wizard.sim.tools.{tool}")
        rc = int(mod.run(call) or 0)
    except Fail as f:
        _emit(f.stdout, sys.stdout)
        _emit(f.stderr, sys.stderr)
        rc = f.rc
    except Unsupported as u:
        _emit(f'{tool}: "{u.what}" is unsupported by the k8s-wizard simulator (see docs/simulator.md)', sys.stderr)
        rc = 1
    except SimError as e:
        _emit(f"k8s-wizard simulator: {e}", sys.stderr)
        rc = 1
    except KeyboardInterrupt:
        rc = 130
    except BrokenPipeError:
        rc = 141
    except Exception as e:  # a bug of the simulator: one line, the traceback only on request
        _emit(f"k8s-wizard simulator: internal error in {tool}: {e.__class__.__name__}: {e}", sys.stderr)
        if os.environ.get("K8S_WIZARD_SIM_DEBUG"):
            import traceback

            traceback.print_exc()
        rc = 70
    if call is not None:
        # Every call lasts at least its simulated latency (apply-config ~1 s, kubectl get ~0.15 s...).
        if rc != 137:
            left = call.scaled(timing.call_latency(tool, call.sub)) - (time.time() - start)
            if left > 0:
                time.sleep(left)
        try:
            log_event(call.state_path, {"kind": "call", "tool": tool, "sub": call.sub, "argv": redact_argv(call.argv),
                                        "rc": rc, "start": start, "end": time.time(), "pid": os.getpid(),
                                        "node": call.node, "faults": call.fired, "cwd": os.getcwd()})
        except OSError:
            pass
    return rc
