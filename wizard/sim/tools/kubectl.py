"""Fake ``kubectl`` against the virtual cluster: apply (server-side too; stdin, files, folders), get
(tables, -o json|yaml|name|jsonpath=, --raw /readyz /livez /version), wait (condition=, create, delete,
jsonpath=), create namespace, rollout status, version; ``kustomize`` runs the real kubectl (offline)."""

from __future__ import annotations

import json
import os
import sys

from wizard.sim import kubeobj
from wizard.sim.args import parse
from wizard.sim.cluster import View
from wizard.sim.fmt import table
from wizard.sim.kubeaccess import reach
from wizard.sim.main import Fail, Unsupported
from wizard.sim.timing import parse_duration

VALUES = {"kubeconfig", "context", "namespace", "output", "filename", "selector", "for", "timeout", "field-manager",
          "server", "request-timeout", "raw", "field-selector", "cluster", "user", "type", "from-literal",
          "from-file", "kustomize"}
ALIASES = {"n": "namespace", "o": "output", "f": "filename", "l": "selector", "A": "all-namespaces", "s": "server",
           "k": "kustomize"}  # `kubectl kustomize DIR` (a subcommand) is told apart from `apply -k DIR` by position


class K:
    """Per-call helpers: the parsed flags, the namespace and the API reachability check."""

    def __init__(self, call, a):
        self.call, self.a = call, a
        self.ns_flag = a.get("namespace")
        self.ns = self.ns_flag or "default"

    def reach(self, st, v) -> str:
        return reach(self.call, st, v, kubeconfig=self.a.get("kubeconfig"), context=self.a.get("context"),
                     server=self.a.get("server"))


def _targets(v: View, k: K, args: list[str]) -> list[tuple[kubeobj.Res, str | None]]:
    """``type/name ...`` or ``type name name`` or ``type`` (then --all / -l): [(res, name or None)]."""
    out = []
    if not args:
        raise Fail("error: You must provide one or more resources by argument or filename.")
    if "/" in args[0]:
        for x in args:
            t, _, name = x.partition("/")
            res = kubeobj.resolve(v, t)
            if res is None:
                raise Fail(f'error: the server doesn\'t have a resource type "{t}"')
            out.append((res, name))
        return out
    res = kubeobj.resolve(v, args[0])
    if res is None:
        raise Fail(f'error: the server doesn\'t have a resource type "{args[0]}"')
    return [(res, n) for n in args[1:]] or [(res, None)]


def _match_labels(o: dict, selector: str | None) -> bool:
    if not selector:
        return True
    labels = o["metadata"].get("labels") or {}
    for part in selector.split(","):
        key, eq, val = part.partition("=")
        if eq and labels.get(key) != val:
            return False
        if not eq and key not in labels:
            return False
    return True


def _find(v: View, k: K, res, name, all_ns: bool, ns: str | None = None) -> list[dict]:
    ns = None if (all_ns or not res.namespaced) else (ns or k.ns)
    items = [o for o in kubeobj.objects(v, res, ns) if _match_labels(o, k.a.get("selector"))]
    return [o for o in items if o["metadata"]["name"] == name] if name else items


def get(k: K) -> int:
    a, call = k.a, k.call
    raw = a.get("raw")
    with kubeobj.synced_state(call) as (st, v):
        k.reach(st, v)
        if raw is not None:
            return _raw(k, v, raw)
        all_ns = a.flag("all-namespaces")
        found, missing = [], []
        for res, name in _targets(v, k, a.pos[1:]):
            items = _find(v, k, res, name, all_ns)
            if name and not items:
                missing.append(f'Error from server (NotFound): {res.plural}{"." + res.group if res.group else ""} '
                               f'"{name}" not found')
            found += [(res, o) for o in items]
    out = a.get("output", "")
    if out in ("json", "yaml"):
        doc = found[0][1] if len(found) == 1 and a.pos[1:] and ("/" in a.pos[1] or len(a.pos) > 2) else {
            "apiVersion": "v1", "kind": "List", "items": [o for _, o in found], "metadata": {"resourceVersion": ""}}
        if not missing or found:
            if out == "json":
                call.out(json.dumps(doc, indent=4))
            else:
                from wizard.sim.yamlio import dump

                call.out(dump(doc), end="")
    elif out.startswith("jsonpath=") or out.startswith("jsonpath-as-json="):
        from wizard.sim import jsonpath

        tpl = out.split("=", 1)[1]
        single = len(found) == 1 and not (len(a.pos) == 2 and "/" not in a.pos[1])
        doc = found[0][1] if single else {"apiVersion": "v1", "kind": "List", "items": [o for _, o in found]}
        if found or not missing:
            try:
                call.out(jsonpath.render(tpl, doc), end="")
            except jsonpath.JsonPathError as e:
                raise Fail(f"error: error parsing jsonpath {tpl}, {e}") from None
    elif out == "name":
        for res, o in found:
            call.out(f"{res.qualified}/{o['metadata']['name']}")
    elif found:
        groups: dict[str, list] = {}
        for res, o in found:
            groups.setdefault(res.qualified, []).append((res, o))
        blocks = []
        for items in groups.values():
            rows = []
            for res, o in items:
                head, cells = kubeobj.row(v, res, o)
                if a.flag("all-namespaces") and res.namespaced:
                    head, cells = ["NAMESPACE", *head], [o["metadata"].get("namespace", ""), *cells]
                if len(groups) > 1 or (len(a.pos) > 2 and "/" in a.pos[1]):
                    cells[head.index("NAME")] = f"{res.qualified}/{cells[head.index('NAME')]}"
                rows.append(cells)
            blocks.append(table([head, *rows]))
        call.out("\n\n".join(blocks))
    elif not missing:
        res = _targets(v, k, a.pos[1:])[0][0]
        where = "" if not res.namespaced or a.flag("all-namespaces") else f" in {k.ns} namespace"
        call.err(f"No resources found{where}.")
    if missing:
        raise Fail("\n".join(missing))
    return 0


def _raw(k: K, v: View, path: str) -> int:
    call = k.call
    if path.startswith("/readyz") or path.startswith("/livez") or path.startswith("/healthz"):
        if "verbose" in path:
            checks = ["ping", "log", "etcd", "etcd-readiness", "informer-sync", "poststarthook/start-apiserver-admission-initializer"]
            call.out("\n".join(f"[+]{c} ok" for c in checks) + f"\n{path.split('?')[0][1:]} check passed")
        else:
            call.out("ok", end="")
        return 0
    if path.startswith("/version"):
        ver = v.st["versions"]["kubernetes"]
        call.out(json.dumps({"major": "1", "minor": ver.split(".")[1], "gitVersion": ver, "platform": "linux/amd64"},
                            indent=2))
        return 0
    raise Fail('Error from server (NotFound): the server could not find the requested resource')


def _manifest_refs(k: K) -> list[tuple[str, str, str, str | None, str]]:
    """(kind, apiVersion, name, namespace, source file) of every object in the ``-f``/``-k`` manifests (read once:
    stdin cannot be read again at each poll)."""
    from wizard.sim.tools.kubectl_apply import _docs, _read_sources

    out = []
    for source, text in _read_sources(k):
        for d in _docs(source, text):
            md = d.get("metadata") or {}
            if d.get("kind") and d.get("apiVersion") and md.get("name"):
                out.append((d["kind"], d["apiVersion"], md["name"], md.get("namespace"), source))
    return out


def _file_targets(v: View, k: K, refs) -> list[tuple[kubeobj.Res, str, str | None]]:
    """kubectl's resource builder on files: each object's type must be known to the API now."""
    out = []
    for kind, api_version, name, ns, source in refs:
        res = kubeobj.res_for_kind(v, kind, api_version)
        if res is None:
            raise Fail(f'error: resource mapping not found for name: "{name}" namespace: "{ns or k.ns_flag or ""}" '
                       f'from "{source}": no matches for kind "{kind}" in version "{api_version}"\n'
                       "ensure CRDs are installed first")
        out.append((res, name, (ns or k.ns) if res.namespaced else None))
    return out


def wait(k: K) -> int:
    a, call = k.a, k.call
    cond = a.get("for")
    if not cond:
        raise Fail("error: --for must be specified")
    try:
        timeout = parse_duration(a.get("timeout", "30s"), 30.0)
    except ValueError:
        raise Fail(f'error: invalid argument "{a.get("timeout")}" for "--timeout" flag: time: invalid duration') from None
    mode, want_type, want_val, jp = _parse_for(cond)
    refs = None
    if a.all("filename") or a.get("kustomize"):
        if a.pos[1:]:
            raise Fail("error: when paths, URLs, or stdin is provided as input, you may not specify resource "
                       "arguments as well")
        refs = _manifest_refs(k)
    deadline = call.now() + timeout
    met: set[str] = set()
    while True:
        with kubeobj.synced_state(call) as (st, v):
            k.reach(st, v)
            pending, lines = [], []
            if refs is not None:
                targets = _file_targets(v, k, refs)
            else:
                targets = [(res, name, None) for res, name in _targets(v, k, a.pos[1:])]
            for res, name, ns in targets:
                if name is None and not (a.flag("all") or a.get("selector") or a.flag("all-namespaces")):
                    raise Fail("error: resource(s) were provided, but no name was specified")
                items = _find(v, k, res, name, a.flag("all-namespaces"), ns=ns)
                label = f"{res.qualified}/{name}" if name else None
                if not items:
                    if mode == "delete":
                        continue
                    if name and mode != "create":
                        raise Fail(f'Error from server (NotFound): {res.plural}{"." + res.group if res.group else ""} '
                                   f'"{name}" not found')
                    if not name:
                        if mode == "create":
                            pending.append(f"{res.plural}")
                            continue
                        raise Fail("error: no matching resources found")
                    pending.append(label)
                    continue
                for o in items:
                    lab = f"{res.qualified}/{o['metadata']['name']}"
                    if _is_met(o, mode, want_type, want_val, jp):
                        if lab not in met:
                            lines.append(lab)
                    else:
                        pending.append(lab)
        if mode == "create" and pending:
            lines = []  # kubectl polls until every object exists, then prints them all at once
        for lab in lines:
            call.out(f"{lab} condition met")
            met.add(lab)
        if not pending:
            return 0
        if call.now() >= deadline:
            if mode == "create":  # kubectl's create poll ends with wait.ErrorInterrupted's text, no object
                raise Fail("error: timed out waiting for the condition")
            raise Fail(f"error: timed out waiting for the condition on {pending[0]}")
        call.poll()


def _parse_for(cond: str) -> tuple[str, str, str, str]:
    if cond == "create" or cond == "delete":
        return cond, "", "", ""
    if cond.startswith("condition="):
        body = cond[len("condition="):]
        t, _, val = body.partition("=")
        return "condition", t, val or "True", ""
    if cond.startswith("jsonpath="):
        body = cond[len("jsonpath="):]
        expr, _, val = body.rpartition("=") if "}=" in body else (body, "", "")
        return "jsonpath", "", val, expr
    raise Fail(f'error: unrecognized condition: "{cond}"')


def _is_met(o: dict, mode: str, t: str, val: str, jp: str) -> bool:
    if mode == "create":
        return True
    if mode == "delete":
        return False
    if mode == "condition":
        return (kubeobj.condition(o, t) or "").lower() == val.lower()
    from wizard.sim import jsonpath

    got = jsonpath.render(jp, o)
    return got == val if val else bool(got)


def rollout(k: K) -> int:
    a, call = k.a, k.call
    if a.pos[1:2] != ["status"] or len(a.pos) < 3:
        raise Unsupported("rollout " + " ".join(a.pos[1:2]))
    timeout = parse_duration(a.get("timeout", "0s"), 0.0) or 3600.0
    deadline = call.now() + timeout
    last = None
    while True:
        with call.state(write=False) as st:
            v = View(st, call.now())
            k.reach(st, v)
            res, name = _targets(v, k, a.pos[2:3])[0]
            items = _find(v, k, res, name, False)
            if not items:
                raise Fail(f'Error from server (NotFound): {res.plural}.{res.group} "{name}" not found')
        o, word = items[0], ("daemon set" if res.kind == "DaemonSet" else "deployment")
        s = o["status"]
        want = s.get("desiredNumberScheduled", s.get("replicas", 1))
        have = s.get("numberAvailable", s.get("availableReplicas", 0))
        if have >= want:
            call.out(f'{word} "{name}" successfully rolled out')
            return 0
        msg = f'Waiting for {word} "{name}" rollout to finish: {have} of {want} updated pods are available...'
        if msg != last:
            call.out(msg)
            last = msg
        if call.now() >= deadline:
            raise Fail("error: timed out waiting for the condition")
        call.poll()


def create(k: K) -> int:
    a, call = k.a, k.call
    if a.pos[1:2] not in (["namespace"], ["ns"]) or len(a.pos) < 3:
        raise Unsupported("create " + " ".join(a.pos[1:2]))
    name = a.pos[2]
    dry = a.get("dry-run")
    if dry == "client":
        if a.get("output") == "yaml":
            call.out(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\nspec: {{}}\nstatus: {{}}")
        elif a.get("output") == "json":
            call.out(json.dumps({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name},
                                 "spec": {}, "status": {}}, indent=4))
        else:
            call.out(f"namespace/{name} created (dry run)")
        return 0
    with call.state() as st:
        v = View(st, call.now())
        k.reach(st, v)
        if kubeobj.namespace_exists(v, name):
            raise Fail(f'Error from server (AlreadyExists): namespaces "{name}" already exists')
        st["objects"][f"Namespace//{name}"] = {"kind": "Namespace", "apiVersion": "v1", "name": name, "namespace": None,
                                               "labels": {}, "spec": {}, "created_at": call.now(), "origin": "kubectl"}
    call.out(f"namespace/{name} created")
    return 0


def version(k: K) -> int:
    a, call = k.a, k.call
    with call.state(write=False) as st:
        ver = st["versions"]["kubernetes"]
        if not a.flag("client"):
            k.reach(st, View(st, call.now()))
    if a.get("output") == "json":
        doc = {"clientVersion": {"gitVersion": ver}, "kustomizeVersion": "v5.7.1"}
        if not a.flag("client"):
            doc["serverVersion"] = {"gitVersion": ver}
        call.out(json.dumps(doc, indent=2))
        return 0
    call.out(f"Client Version: {ver}\nKustomize Version: v5.7.1" + ("" if a.flag("client") else f"\nServer Version: {ver}"))
    return 0


def passthrough(call, argv: list[str]) -> int:
    """Offline subcommands (``kustomize``) run the real kubectl found after the shims on PATH."""
    import shutil
    import subprocess

    from wizard.sim import ENV_BIN

    shim_dir = call.env.get(ENV_BIN) or os.path.dirname(os.path.abspath(sys.argv[0]))
    path = os.pathsep.join(p for p in call.env.get("PATH", "").split(os.pathsep)
                           if p and os.path.abspath(p) != os.path.abspath(shim_dir))
    real = shutil.which("kubectl", path=path)
    if real is None:
        raise Fail("error: kubectl kustomize needs a real kubectl on PATH (after the simulator's shims)")
    return subprocess.run([real, *argv]).returncode


def run(call) -> int:
    a = parse(call.argv, values=VALUES, aliases=ALIASES)
    sub = a.pos[0] if a.pos else ""
    if sub == "kustomize":
        call.begin(sub)
        return passthrough(call, call.argv)
    k = K(call, a)
    target = " ".join(a.pos[1:3])
    call.begin(sub, target=target.replace(" ", "/") if target and "/" not in target else target)
    if sub == "apply":
        from wizard.sim.tools.kubectl_apply import apply

        return apply(k)
    fns = {"get": get, "wait": wait, "rollout": rollout, "create": create, "version": version}
    if sub not in fns:
        raise Unsupported(sub or "(no subcommand)")
    return fns[sub](k)
