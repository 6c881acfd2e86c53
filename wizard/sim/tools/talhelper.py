"""Fake ``talhelper``: ``genconfig`` (one ``<cluster>-<hostname>.yaml`` per node + ``talosconfig`` +
``.gitignore`` in ``-o``, default ./clusterconfig), ``gensecret`` (a clearly fake bundle on stdout),
``--version``. Machine configs carry fake markers instead of PKI: they are not real Talos configs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from wizard.sim.args import parse
from wizard.sim.fmt import fake_blob
from wizard.sim.main import Fail, Unsupported

VALUES = {"config-file", "secret-file", "env-file", "out-dir", "talos-mode", "crt-ttl"}
ALIASES = {"c": "config-file", "s": "secret-file", "e": "env-file", "o": "out-dir", "m": "talos-mode",
           "n": "no-gitignore"}


def _talconfig(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise Fail(f"failed to read config file: open {path}: no such file or directory") from None
    from wizard.sim.yamlio import load

    try:
        cfg = load(text)
    except Exception as exc:  # any YAML error
        raise Fail(f"failed to unmarshal config file: {exc.__class__.__name__}: {exc}") from None
    problems = []
    if not isinstance(cfg, dict):
        raise Fail("failed to unmarshal config file: the document is not a mapping")
    for key in ("clusterName", "endpoint"):
        if not cfg.get(key):
            problems.append(f"  * {key}: is required")
    nodes = cfg.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        problems.append("  * nodes: is required")
    else:
        for i, n in enumerate(nodes):
            if not isinstance(n, dict) or not n.get("hostname") or not n.get("ipAddress"):
                problems.append(f"  * nodes[{i}]: hostname and ipAddress are required")
            elif not n.get("installDisk") and not n.get("installDiskSelector"):
                problems.append(f"  * nodes[{i}].installDisk: installDisk or installDiskSelector is required")
    if problems:
        raise Fail("There are issues with your talhelper config file:\n" + "\n".join(problems))
    base = path.parent
    for p in [*(cfg.get("patches") or []), *((cfg.get("controlPlane") or {}).get("patches") or []),
              *((cfg.get("worker") or {}).get("patches") or [])]:
        if isinstance(p, str) and p.startswith("@") and not (base / p[1:]).exists():
            raise Fail(f"open {p[1:]}: no such file or directory")
    return cfg


def _machine_config(cfg: dict, node: dict) -> str:
    cp = bool(node.get("controlPlane"))
    disk = node.get("installDisk") or "/dev/sda"
    cid = hashlib.sha1(cfg["clusterName"].encode()).hexdigest()[:16]
    return (
        "# k8s-wizard simulator: a stand-in for a Talos machine config (no real secrets or PKI)\n"
        "version: v1alpha1\ndebug: false\npersist: true\nmachine:\n"
        f"  type: {'controlplane' if cp else 'worker'}\n  token: sim.{cid}\n"
        f"  ca:\n    crt: {fake_blob('machine CA certificate')}\n    key: \"\"\n"
        f"  network:\n    hostname: {node['hostname']}\n"
        f"  install:\n    disk: {disk}\n    image: factory.talos.dev/installer/sim:{cfg.get('talosVersion', 'v1.12.0')}\n"
        "cluster:\n"
        f"  id: {cid}\n  clusterName: {cfg['clusterName']}\n"
        f"  controlPlane:\n    endpoint: {cfg['endpoint']}\n"
        "  network:\n    cni:\n      name: none\n"
        f"    podSubnets: {cfg.get('clusterPodNets') or ['10.244.0.0/16']}\n"
        f"    serviceSubnets: {cfg.get('clusterSvcNets') or ['10.96.0.0/12']}\n"
    )


def _talosconfig(cfg: dict) -> str:
    def first_ip(n):
        return str(n["ipAddress"]).split(",")[0].strip()

    cps = [first_ip(n) for n in cfg["nodes"] if n.get("controlPlane")]
    alln = [first_ip(n) for n in cfg["nodes"]]
    name = cfg["clusterName"]
    return (f"context: {name}\ncontexts:\n  {name}:\n    endpoints:\n" + "".join(f"      - {ip}\n" for ip in cps)
            + "    nodes:\n" + "".join(f"      - {ip}\n" for ip in alln)
            + f"    ca: {fake_blob('talos CA certificate')}\n    crt: {fake_blob('talos client certificate')}\n"
            f"    key: {fake_blob('talos client key')}\n")


def genconfig(call, a) -> int:
    call.begin("genconfig")
    cfg_path = Path(a.get("config-file", "talconfig.yaml"))
    cfg = _talconfig(cfg_path)
    out = a.get("out-dir", "./clusterconfig")
    files = {f"{cfg['clusterName']}-{n['hostname']}.yaml": _machine_config(cfg, n) for n in cfg["nodes"]}
    if a.flag("dry-run"):
        for name in files:
            call.out(f"{out}/{name} would be generated")
        return 0
    from wizard.fsutil import atomic_write

    outp = Path(out)
    outp.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, text in files.items():
        atomic_write(outp / name, text, mode=0o600)
        host = name[len(cfg["clusterName"]) + 1:-5]
        call.out(f"generated config for {host} in {out.rstrip('/')}/{name}")
    atomic_write(outp / "talosconfig", _talosconfig(cfg), mode=0o600)
    call.out(f"generated client config in {out.rstrip('/')}/talosconfig")
    if not a.flag("no-gitignore"):
        atomic_write(outp / ".gitignore", "".join(f"{n}\n" for n in [*files, "talosconfig"]))
        call.out(f"generated .gitignore file in {out.rstrip('/')}/.gitignore")
    call.event("genconfig", cluster=cfg["clusterName"], nodes=len(files), out=str(outp.resolve()))
    return 0


def gensecret(call, a) -> int:
    call.begin("gensecret")
    seed = hashlib.sha1(os.urandom(8)).hexdigest()
    call.out(
        "# k8s-wizard simulator: fake Talos secrets bundle (placeholders, not key material)\n"
        f"cluster:\n  id: sim-{seed[:24]}\n  secret: sim-{seed[8:32]}\n"
        f"secrets:\n  bootstraptoken: sim.{seed[:16]}\n  secretboxencryptionsecret: sim-{seed[:32]}\n"
        f"trustdinfo:\n  token: sim.{seed[16:32]}\n"
        f"certs:\n  etcd:\n    crt: {fake_blob('etcd CA certificate')}\n    key: {fake_blob('etcd CA key')}\n"
        f"  k8s:\n    crt: {fake_blob('kubernetes CA certificate')}\n    key: {fake_blob('kubernetes CA key')}\n"
        f"  os:\n    crt: {fake_blob('talos CA certificate')}\n    key: {fake_blob('talos CA key')}\n"
    )
    return 0


def run(call) -> int:
    a = parse(call.argv, values=VALUES, aliases=ALIASES)
    if a.flag("version") or (a.pos[:1] == ["version"]):
        call.begin("version")
        call.out("talhelper version v3.0.39")
        return 0
    sub = a.pos[0] if a.pos else ""
    if sub == "genconfig":
        return genconfig(call, a)
    if sub == "gensecret":
        return gensecret(call, a)
    raise Unsupported(sub or "(no subcommand)")
