"""Fake ``talosctl`` (v1.11 texts): apply-config, bootstrap, kubeconfig, get, etcd, service, health,
version, validate. Node behaviour depends on its phase: maintenance (insecure API only), installing and
rebooting (connection refused), running (mTLS: an insecure call gets ``certificate required``)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from wizard.sim import effects
from wizard.sim.args import parse
from wizard.sim.cluster import View
from wizard.sim.fmt import table
from wizard.sim.main import Fail, Unsupported

GLOBAL = {"talosconfig", "nodes", "endpoints", "context", "cluster"}
SUBS = {"apply-config", "apply", "bootstrap", "kubeconfig", "get", "etcd", "service", "health", "version", "validate"}
VALUES = GLOBAL | {"file", "mode", "config-patch", "cert-fingerprint", "wait-timeout", "control-plane-nodes",
                   "worker-nodes", "init-node", "k8s-endpoint", "force-context-name", "output", "namespace",
                   "config", "recover-from", "timeout"}


def _sub(argv: list[str]) -> str:
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a.startswith("-"):
            name = a.lstrip("-").split("=", 1)[0]
            skip = "=" not in a and ({"n": "nodes", "e": "endpoints"}.get(name, name) in GLOBAL)
            continue
        return a
    return ""


def _fail(sub: str, kind: str, ip: str) -> Fail:
    return Fail(effects.talos_error(sub, kind, ip))


def _require_one(args, sub: str) -> str:
    nodes = args.csv("nodes")
    if not nodes:
        raise Fail("nodes are not set for the command: please use `--nodes` flag or configuration file to set the "
                   "nodes to run the command against")
    if len(nodes) > 1 and sub in ("kubeconfig", "health"):
        raise Fail(f'error: command "{sub}" is not supported with multiple nodes')
    return nodes[0]


def _secure(v: View, sub: str, ip: str, insecure: bool) -> dict:
    """The node if a call in this mode reaches its API now, else raise the real error."""
    n = v.node(ip)
    if n is None:
        raise _fail(sub, "no_route", ip)
    ph = v.phase(n)
    if ph in ("installing", "rebooting"):
        raise _fail(sub, "connection_refused", ip)
    if insecure and ph == "running":
        raise _fail(sub, "certificate_required", ip)
    if not insecure and ph == "maintenance":
        raise _fail(sub, "x509_unknown_authority", ip)
    return n


def _machine_config(path: str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise Fail(f"open {path}: {exc.strerror.lower() if exc.strerror else exc}") from None
    from wizard.sim.yamlio import load_all

    try:
        docs = load_all(text)
    except Exception as exc:  # any parse error of the YAML library
        raise Fail(effects.TALOS_PREFIX["apply-config"] + "rpc error: code = InvalidArgument desc = failed to "
                   f"parse config: {exc.__class__.__name__}") from None
    cfg = next((d for d in docs if isinstance(d, dict) and "machine" in d), None)
    problems = []
    if cfg is None:
        problems.append("machine config document (version v1alpha1 with machine:) not found")
    else:
        if (cfg.get("machine") or {}).get("type") not in ("controlplane", "worker", "init"):
            problems.append(f"unknown machine type {(cfg.get('machine') or {}).get('type')!r}")
        if not (cfg.get("cluster") or {}).get("controlPlane", {}).get("endpoint"):
            problems.append("cluster.controlPlane.endpoint is required")
    if problems:
        raise Fail(effects.TALOS_PREFIX["apply-config"] + "rpc error: code = InvalidArgument desc = configuration "
                   f"validation failed: {len(problems)} error occurred:\n" + "".join(f"\t* {p}\n" for p in problems))
    return cfg


def apply_config(call, a) -> int:
    ip = _require_one(a, "apply-config")
    f = a.get("file")
    if not f:
        raise Fail("no filename supplied for configuration")
    insecure, mode = a.flag("insecure"), a.get("mode", "auto")
    call.begin("apply-config", node=ip)
    cfg = _machine_config(f)
    with call.state() as st:
        v = View(st, call.now())
        n = _secure(v, "apply-config", ip, insecure)
        if v.phase(n) == "maintenance":
            if mode in ("no-reboot", "staged"):
                raise Fail(effects.TALOS_PREFIX["apply-config"] + "rpc error: code = Unimplemented desc = apply "
                           f"configuration --mode='{mode}' is not supported in maintenance mode")
            if a.flag("dry-run"):
                return 0
            n.update(applied_at=call.now(), machine_type=cfg["machine"]["type"], applies=n.get("applies", 0) + 1,
                     config_id=hashlib.sha1(Path(f).read_bytes()).hexdigest()[:12])
            call.event("apply-config", node=ip, machine_type=n["machine_type"])
            return 0
        n["config_id"] = hashlib.sha1(Path(f).read_bytes()).hexdigest()[:12]
    msg = {"staged": "Staged configuration to be applied after the next reboot",
           "reboot": "Applied configuration with a reboot"}.get(mode, "Applied configuration without a reboot")
    call.err(msg)
    return 0


def bootstrap(call, a) -> int:
    nodes = a.csv("nodes")
    if not nodes:
        _require_one(a, "bootstrap")
    call.begin("bootstrap", node=nodes[0])
    for ip in nodes:  # v1.11 does not refuse a list: apid fans the call out (never do this)
        with call.state() as st:
            v = View(st, call.now())
            n = _secure(v, "bootstrap", ip, a.flag("insecure"))
            if v.phase(n) == "maintenance":
                raise Fail(effects.TALOS_PREFIX["bootstrap"] + "rpc error: code = Unimplemented desc = method "
                           "Bootstrap not implemented")
            if call.now() < v.running_at(n) + v.d("boot_settle"):
                raise _fail("bootstrap", "not_available_yet", ip)
            if not v.is_cp(n):
                raise _fail("bootstrap", "not_control_plane", ip)
            etcd = st["etcd"]
            if etcd["bootstrapped_at"] is not None and (etcd["node"] == ip or v.reached(v.etcd_member_at(n))):
                raise _fail("bootstrap", "already_exists", ip)
            if etcd["bootstrapped_at"] is not None:
                etcd["split"] = True  # a second, independent etcd cluster: what the runner must never cause
            else:
                etcd.update(bootstrapped_at=call.now(), node=ip)
            etcd["bootstraps"] = etcd.get("bootstraps", 0) + 1
        call.event("etcd-bootstrap", node=ip)
    return 0


def _kubeconfig_text(st: dict, ctx: str) -> str:
    from wizard.sim.fmt import fake_blob

    c = st["cluster"]
    return (f"apiVersion: v1\nkind: Config\nclusters:\n- name: {c}\n  cluster:\n    server: https://{st['vip']}:6443\n"
            f"    certificate-authority-data: {fake_blob('cluster CA certificate')}\n"
            f"users:\n- name: admin@{c}\n  user:\n    client-certificate-data: {fake_blob('client certificate')}\n"
            f"    client-key-data: {fake_blob('client key')}\n"
            f"contexts:\n- name: {ctx}\n  context:\n    cluster: {c}\n    namespace: default\n    user: admin@{c}\n"
            f"current-context: {ctx}\npreferences: {{}}\n")


def kubeconfig(call, a) -> int:
    ip = _require_one(a, "kubeconfig")
    call.begin("kubeconfig", node=ip)
    force, merge = a.flag("force") or a.flag("f"), a.flag("merge", True)
    target = a.pos[0] if a.pos else str(Path(os.environ.get("HOME", "~")) / ".kube" / "config")
    with call.state() as st:
        v = View(st, call.now())
        n = _secure(v, "kubeconfig", ip, False)
        if not v.is_cp(n):
            raise Fail(effects.TALOS_PREFIX["kubeconfig"] + "rpc error: code = FailedPrecondition desc = kubeconfig "
                       "is only available on control plane nodes")
        ctx = a.get("force-context-name") or f"admin@{st['cluster']}"
        text = _kubeconfig_text(st, ctx)
        if target == "-":
            call.out(text, end="")
            return 0
        path = Path(target)
        if path.is_dir():
            path = path / "kubeconfig"
        if path.exists() and not force:
            if not merge:
                raise Fail(f'kubeconfig file already exists, use --force to overwrite: "{path}"')
            text = _merge(path, text, ctx, call)
        from wizard.fsutil import atomic_write

        atomic_write(path, text, mode=0o600)
        st["kubeconfigs"][str(path.resolve())] = {"mtime_ns": path.stat().st_mtime_ns, "current": ctx,
                                                  "contexts": {ctx: st["vip"]}}
    call.event("kubeconfig", node=ip, path=str(path), context=ctx)
    return 0


def _merge(path: Path, new: str, ctx: str, call) -> str:
    from wizard.sim.yamlio import dump, load

    old, add = load(path.read_text(encoding="utf-8")) or {}, load(new)
    for key in ("clusters", "users", "contexts"):
        names = {e["name"] for e in add[key]}
        old[key] = [e for e in (old.get(key) or []) if e.get("name") not in names] + add[key]
    old["current-context"] = ctx
    return dump(old)


def _rows_get(v: View, ip: str, res: str, insecure: bool) -> list[list[str]]:
    n = v.node(ip)
    if res in ("machineconfig", "machineconfigs", "mc"):
        rows = [["NODE", "NAMESPACE", "TYPE", "ID", "VERSION"]]
        if v.phase(n) == "running":
            rows.append([ip, "config", "MachineConfig", "v1alpha1", str(n.get("applies", 1))])
        return rows
    if res in ("disks", "disk"):
        return [["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", "SIZE", "READ ONLY", "TRANSPORT", "ROTATIONAL",
                 "WWID", "MODEL", "SERIAL"],
                [ip if not insecure else "", "runtime", "Disk", Path(n["install_disk"]).name, "1", "512 GB", "false",
                 "nvme", "", "", "Samsung SSD 970", "S4EWNX0R" + hashlib.sha1(ip.encode()).hexdigest()[:6].upper()]]
    if res in ("links", "link"):
        mac = hashlib.sha1(ip.encode()).hexdigest()
        return [["NODE", "NAMESPACE", "TYPE", "ID", "VERSION", "TYPE", "KIND", "HW ADDR", "OPER STATE", "LINK STATE"],
                *[[ip if not insecure else "", "network", "LinkStatus", nic, "1", "ether", "",
                   ":".join(["aa", "bb", mac[0:2], mac[2:4], mac[4:6], f"{i:02x}"]), "up", "true"]
                  for i, nic in enumerate(("enp1s0f0", "enp1s0f1"))]]
    raise Unsupported(f"get {res}")


def get(call, a) -> int:
    if len(a.pos) < 2:
        raise Fail('accepts between 1 and 2 arg(s), received 0')
    res, ip = a.pos[1], _require_one(a, "get")
    call.begin("get", node=ip)
    with call.state(write=False) as st:
        v = View(st, call.now())
        _secure(v, "get", ip, a.flag("insecure"))
        call.out(table(_rows_get(v, ip, res, a.flag("insecure"))))
    return 0


def _member_id(ip: str) -> str:
    return hashlib.sha1(f"etcd-member-{ip}".encode()).hexdigest()[:16]


def etcd(call, a) -> int:
    what = a.pos[1] if len(a.pos) > 1 else ""
    if what not in ("members", "status"):
        raise Unsupported(f"etcd {what}".strip())
    ip = _require_one(a, "etcd")
    call.begin("etcd", node=ip)
    with call.state(write=False) as st:
        v = View(st, call.now())
        n = _secure(v, "etcd", ip, False)
        if not v.reached(v.etcd_member_at(n)):
            pre = "error getting members: " if what == "members" else "error getting status: "
            raise Fail(pre + 'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while '
                       'dialing: dial tcp 127.0.0.1:2379: connect: connection refused"')
        members = [m for m in v.nodes if v.reached(v.etcd_member_at(m))]
        if what == "members":
            rows = [["NODE", "ID", "HOSTNAME", "PEER URLS", "CLIENT URLS", "LEARNER"]]
            rows += [[ip, _member_id(m["address"]), m["hostname"], f"https://{m['address']}:2380",
                      f"https://{m['address']}:2379", "false"] for m in members]
        else:
            leader = _member_id(st["etcd"]["node"])
            rows = [["NODE", "MEMBER", "DB SIZE", "IN USE", "LEADER", "RAFT INDEX", "RAFT TERM", "RAFT APPLIED INDEX",
                     "LEARNER", "PROTOCOL", "STORAGE", "ERRORS"],
                    [ip, _member_id(ip), "4.2 MB", "2.1 MB (50.00%)", leader, "4213", "2", "4213", "false",
                     "3.6.0", "3.6.0", ""]]
        call.out(table(rows))
    return 0


def service(call, a) -> int:
    if len(a.pos) < 2 or a.pos[1] != "etcd":
        raise Unsupported(" ".join(a.pos[:2]) if len(a.pos) > 1 else "service (list)")
    ip = _require_one(a, "service")
    call.begin("service", node=ip)
    with call.state(write=False) as st:
        v = View(st, call.now())
        n = _secure(v, "service", ip, False)
        if not v.is_cp(n):
            raise Fail(f'1 error occurred:\n\t* {ip}: rpc error: code = NotFound desc = service "etcd" not registered')
        up = v.reached(v.etcd_member_at(n))
        state, health, ev = ("Running", "OK", "[Running]: Health check successful") if up else \
            ("Preparing", "?", "[Preparing]: Running pre state")
        call.out(table([["NODE", ip], ["ID", "etcd"], ["STATE", state], ["HEALTH", health], ["EVENTS", ev]]))
    return 0


def version(call, a) -> int:
    call.begin("version", node=(a.csv("nodes") or [None])[0])
    lines = ["Client:", "\tTag:         v1.11.6", "\tSHA:         6dd14300", "\tBuilt:       ",
             "\tGo version:  go1.24.11", "\tOS/Arch:     linux/amd64"]
    if not a.flag("client"):
        ip = _require_one(a, "version")
        with call.state(write=False) as st:
            v = View(st, call.now())
            _secure(v, "version", ip, a.flag("insecure"))
            lines += ["Server:", f"\tNODE:        {ip}", f"\tTag:         {st['versions']['talos']}",
                      "\tSHA:         5c6e2e0e", "\tBuilt:       ", "\tGo version:  go1.24.11",
                      "\tOS/Arch:     linux/amd64", "\tEnabled:     RBAC"]
    call.out("\n".join(lines))
    return 0


def validate(call, a) -> int:
    call.begin("validate")
    path, mode = a.get("config"), a.get("mode")
    if not path or not mode:
        raise Fail('required flag(s) "config", "mode" not set')
    try:
        _machine_config(path)
    except Fail as f:
        raise Fail(f.stderr.split("desc = ", 1)[-1]) from None
    call.out(f"{path} is valid for {mode} mode")
    return 0


def run(call) -> int:
    sub = _sub(call.argv)
    if sub not in SUBS:
        raise Unsupported(sub or "(no subcommand)")
    aliases = {"n": "nodes", "e": "endpoints", "m": "mode", "p": "config-patch", "i": "insecure", "o": "output",
               "c": "config"}
    aliases["f"] = "force" if sub == "kubeconfig" else "file"
    values = VALUES - ({"file"} if sub == "kubeconfig" else set())
    a = parse(call.argv, values=values, aliases=aliases)
    a.pos = a.pos[a.pos.index(sub):] if sub in a.pos else a.pos
    if sub in ("kubeconfig",):
        a.pos = a.pos[1:]
    if sub == "health":
        from wizard.sim.tools.talos_health import health

        return health(call, a, _require_one, _secure)
    fn = {"apply-config": apply_config, "apply": apply_config, "bootstrap": bootstrap, "kubeconfig": kubeconfig,
          "get": get, "etcd": etcd, "service": service, "version": version, "validate": validate}[sub]
    return fn(call, a)
