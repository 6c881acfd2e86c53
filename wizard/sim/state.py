"""The virtual cluster's state file: JSON under an exclusive ``fcntl.flock``, plus the event log.

One JSON document holds timestamps (virtual time, see ``timing``) of the events the tools caused
(apply-config per node, etcd bootstrap, releases, applied objects...) and the virtual clock itself
(``clock``). Everything else (node phase, API up, Ready conditions) is derived lazily from those
timestamps by ``wizard.sim.cluster``, so no background process exists. The lock is held only for short
read-modify-write sections, never across a simulated sleep.
"""

from __future__ import annotations

import fcntl
import json
import os
import re

FORMAT = 1
_SECRETISH = re.compile(r"AGE-SECRET-KEY-|-----BEGIN |LS0tLS1CRUdJTi|\bops_[A-Za-z0-9_-]{20,}")


class SimError(Exception):
    """A problem of the simulator itself (not a simulated tool failure): exit 1 with this message."""


# os.path, not pathlib, in the per-call code: pathlib's import costs ~8 ms per tool call.
def events_path(state_path) -> str:
    base, _ = os.path.splitext(os.fspath(state_path))
    return base + ".events.jsonl"


def _lock_path(state_path) -> str:
    return os.fspath(state_path) + ".lock"


def _load(path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise SimError(f"simulator state {path} does not exist: create it with wizard.sim.init_state()") from None
    except json.JSONDecodeError as exc:
        raise SimError(f"simulator state {path} is not valid JSON ({exc}); re-create it with init_state()") from None
    if data.get("format") != FORMAT:
        raise SimError(f"simulator state {path} has format {data.get('format')!r}, expected {FORMAT}")
    return data


def _save(path, data: dict) -> None:
    # No fsync: the state is test/demo data and is rewritten many times a second.
    path = os.fspath(path)
    tmp = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, separators=(",", ":"), sort_keys=True)
    os.replace(tmp, path)


class locked:
    """``with locked(path) as st:`` the state dict under the flock; saved on exit when ``write`` and no
    exception. A class, not @contextmanager: contextlib's import costs ~8 ms on every tool call.

    ``on_load(data, fix) -> bool``: called after loading; True from ``fix=False`` means the document
    needs a correction (the clock's re-base to another speed): the lock is then made exclusive, the
    document reloaded, ``on_load(data, True)`` corrects it and it is saved at once, even if the
    with-block later fails, so no caller ever computes time from an unsaved clock."""

    def __init__(self, state_path, *, write: bool = True, on_load=None):
        self.path, self.write, self.fd, self.on_load = state_path, write, -1, on_load

    def __enter__(self) -> dict:
        self.fd = os.open(_lock_path(self.path), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX if self.write else fcntl.LOCK_SH)
            self.data = _load(self.path)
            if self.on_load is not None and self.on_load(self.data, False):
                if not self.write:
                    # flock converts shared -> exclusive by unlocking first: another process may write
                    # in between, so reload before correcting
                    fcntl.flock(self.fd, fcntl.LOCK_EX)
                    self.data = _load(self.path)
                self.on_load(self.data, True)
                _save(self.path, self.data)
        except BaseException:
            os.close(self.fd)
            raise
        return self.data

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self.write and exc_type is None:
                _save(self.path, self.data)
        finally:
            os.close(self.fd)  # closing releases the flock


def _node(n) -> dict:
    get = (lambda k: n.get(k)) if isinstance(n, dict) else (lambda k: getattr(n, k, None))
    hostname, address, role = get("hostname"), get("address"), get("role")
    if not hostname or not address or role not in ("controlplane", "worker"):
        raise ValueError(f"node {n!r}: hostname, address and role (controlplane|worker) are required")
    disk = get("installDisk") or get("install_disk") or "/dev/nvme0n1"
    return {"hostname": hostname, "address": address, "role": role, "install_disk": disk,
            "applied_at": None, "machine_type": None, "config_id": None, "applies": 0}


def init_state(state_path, *, cluster: str, nodes: list, vip: str, branch: str = "main",
               source_name: str = "flux-system", bgp: bool | dict = False, cluster_id: int = 1,
               git_url: str = "ssh://git@github.com/example/k8s-ops.git", branches: list[str] | None = None,
               repo=None, versions: dict | None = None, op_signed_in: bool = True,
               exist_ok: bool = False) -> dict:
    """Create the state of a fresh virtual cluster: every node in Talos maintenance mode.

    ``nodes``: dicts (or objects) with hostname, address, role; ``bgp``: False, True, or
    ``{"localAsn", "peerAddress", "peerAsn"}``; ``branches``: branches on the simulated Git remote
    (default: ``[branch]``, so ``main``/``release`` must be listed to simulate a missing branch);
    ``repo``: the local checkout standing in for the remote (Flux reads cluster-vars and the
    Kustomizations from it); ``exist_ok``: keep an existing state file (resume) instead of replacing it.
    """
    from pathlib import Path

    state_path = Path(state_path)
    if exist_ok and state_path.exists():
        return _load(state_path)
    node_list = [_node(n) for n in nodes]
    if not node_list:
        raise ValueError("init_state: at least one node is required")
    if not any(n["role"] == "controlplane" for n in node_list):
        raise ValueError("init_state: at least one controlplane node is required")
    if isinstance(bgp, dict):
        bgp_cfg = {"local_asn": bgp.get("localAsn", bgp.get("local_asn", 64513)),
                   "peer_address": bgp.get("peerAddress", bgp.get("peer_address", "10.0.0.1")),
                   "peer_asn": bgp.get("peerAsn", bgp.get("peer_asn", 64501))}
    elif bgp:
        gw = ".".join(node_list[0]["address"].split(".")[:3] + ["1"])
        bgp_cfg = {"local_asn": 64513, "peer_address": gw, "peer_asn": 64501}
    else:
        bgp_cfg = None
    vers = {"talos": "v1.12.0", "kubernetes": "v1.35.0", "cilium": "1.18.5", "flux": "2.7.5"}
    vers.update({k: v for k, v in (versions or {}).items() if isinstance(v, str)})
    from wizard.sim.timing import new_clock

    clock = new_clock()
    data = {
        "format": FORMAT, "clock": clock, "created_at": clock["vbase"], "cluster": cluster, "cluster_id": int(cluster_id), "vip": vip,
        "branch": branch, "source_name": source_name, "bgp": bgp_cfg, "versions": vers,
        "git": {"url": git_url, "branches": list(branches if branches is not None else [branch]), "pushes": 0},
        "repo": str(Path(repo).resolve()) if repo else None, "op_signed_in": bool(op_signed_in),
        "nodes": {n["address"]: n for n in node_list},
        "etcd": {"bootstrapped_at": None, "node": None, "bootstraps": 0, "split": False},
        "crds": {}, "objects": {}, "releases": {}, "kubeconfigs": {}, "faults": {}, "scenario_cache": None,
        "flux_synced": False,
    }
    state_path.parent.mkdir(parents=True, exist_ok=True)
    _save(state_path, data)
    ev = events_path(state_path)
    if os.path.exists(ev):
        os.unlink(ev)
    return data


def redact_argv(argv: list[str]) -> list[str]:
    """Arguments that carry secret material (age identities, PEM, tokens) are never logged."""
    out = []
    for a in argv:
        if _SECRETISH.search(a):
            out.append("<redacted>")
        elif a.startswith("--from-literal=") and "=" in a[len("--from-literal="):]:
            out.append(a.split("=", 2)[0] + "=" + a.split("=", 2)[1] + "=<redacted>")
        else:
            out.append(a)
    return out


def log_event(state_path, record: dict) -> None:
    """Append one JSON line; a single O_APPEND write is atomic between the concurrent tool processes."""
    line = (json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n").encode("utf-8")
    fd = os.open(events_path(state_path), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def virtual_now(state_path) -> float:
    """The virtual cluster's current time (read only: the stored clock keeps its speed)."""
    from wizard.sim.timing import new_clock, virtual_now as vnow

    with locked(state_path, write=False) as st:
        return vnow(st.get("clock") or new_clock())


def read_events(state_path) -> list[dict]:
    path = events_path(state_path)
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
