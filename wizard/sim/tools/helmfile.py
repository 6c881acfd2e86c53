"""Fake ``helmfile`` (v1.1 texts, logger on stderr): ``template`` (the releases' CRDs and a few other
documents on stdout), ``sync``/``apply`` (per release "Upgrading release=..." + helm's output, then the
UPDATED RELEASES table; helm failures wrapped in helmfile's PATH/ARGS/STDERR block), ``list``,
``--version``. Selectors (``-l k=v``) match name/namespace/chart and the release labels; no match -> exit 3.
"""

from __future__ import annotations

import json
from pathlib import Path

from wizard.sim import crds as crdcat
from wizard.sim import releases as rel
from wizard.sim.args import parse
from wizard.sim.cluster import View
from wizard.sim.fmt import table
from wizard.sim.kubeaccess import reach
from wizard.sim.main import Fail, Unsupported
from wizard.sim.timing import HELM_TIMEOUT, go_duration

VALUES = {"file", "environment", "selector", "kubeconfig", "kube-context", "namespace", "log-level", "timeout",
          "concurrency", "args", "set", "values", "output", "state-values-set", "state-values-file"}
ALIASES = {"f": "file", "e": "environment", "l": "selector", "n": "namespace", "q": "quiet"}


def _load(path: Path) -> tuple[list[dict], dict]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise Fail(f"err: no state file found. It must be named helmfile.yaml or specified with --file: {path}") from None
    from wizard.sim.yamlio import load_all

    try:
        docs = load_all(text)
    except Exception as exc:  # any YAML error
        raise Fail(f"err: failed to read {path.name}: reading document at index 1: {exc.__class__.__name__}: {exc}") from None
    releases, defaults = [], {}
    for d in docs:
        if not isinstance(d, dict):
            continue
        defaults.update(d.get("helmDefaults") or {})
        releases += [r for r in d.get("releases") or [] if isinstance(r, dict)]
    for i, r in enumerate(releases):
        if not r.get("name") or not r.get("chart"):
            raise Fail(f"err: failed to read {path.name}: releases[{i}]: name and chart are required")
    return releases, defaults


def _labels(r: dict, default_ns: str) -> dict:
    return {"name": r["name"], "namespace": r.get("namespace") or default_ns, "chart": rel.chart_name(r["chart"]),
            **{str(k): str(v) for k, v in (r.get("labels") or {}).items()}}


def _select(releases: list[dict], selectors: list[str], default_ns: str) -> list[dict]:
    if not selectors:
        return [r for r in releases if r.get("installed", True) is not False]
    out = []
    for r in releases:
        labels = _labels(r, default_ns)
        for sel in selectors:  # separate -l flags are OR-ed; k=v pairs inside one are AND-ed
            pairs = [p.partition("=") if "!=" not in p else (p.partition("!=")[0], "!=", p.partition("!=")[2])
                     for p in sel.split(",") if p]
            if all((labels.get(k) != v) if op == "!=" else (labels.get(k) == v) for k, op, v in pairs):
                out.append(r)
                break
    return out


def _key(r: dict, default_ns: str) -> str:
    return f"{r.get('namespace') or default_ns}/{r['name']}"


def _order(sel: list[dict], allr: list[dict], default_ns: str, path: Path) -> list[dict]:
    """Topological order of ``sel`` by ``needs`` (needs outside the selection are skipped, as with the
    default --skip-needs); an undefined need is an error, as in helmfile."""
    keys = {_key(r, default_ns) for r in allr}
    names = {r["name"] for r in allr}
    chosen = {_key(r, default_ns): r for r in sel}
    deps = {}
    for k, r in chosen.items():
        deps[k] = []
        for need in r.get("needs") or []:
            nk = need if "/" in need else f"{r.get('namespace') or default_ns}/{need}"
            if nk not in keys and need not in names:
                raise Fail(f'err: release(s) "{k}" depend(s) on an undefined release "{need}". Perhaps you made a '
                           f'typo in "needs" or forgot to add a release named "{need.rsplit("/", 1)[-1]}" with '
                           'appropriate "namespace" and "kubeContext".')
            if nk in chosen:
                deps[k].append(nk)
    out, done = [], set()
    while len(out) < len(chosen):
        ready = [k for k in chosen if k not in done and all(d in done for d in deps[k])]
        if not ready:
            raise Fail(f"err: circular dependency detected among releases in {path.name}")
        for k in ready:
            done.add(k)
            out.append(chosen[k])
    return out


def _include_crds(r: dict, defaults: dict, cli_args: list[str]) -> bool:
    args = [*(defaults.get("args") or []), *(r.get("args") or []), *" ".join(cli_args).split()]
    return "--include-crds" in args


def template(call, a, releases, defaults, default_ns) -> int:
    with call.state(write=False) as st:
        flux_version = st["versions"]["flux"]
    for r in releases:
        name, chart = r["name"], rel.chart_name(r["chart"])
        ns = r.get("namespace") or default_ns
        if not a.flag("quiet"):
            call.err(f"Templating release={name}, chart={r['chart']}")
        docs = [f"---\n# Source: {chart}/templates/serviceaccount.yaml\napiVersion: v1\nkind: ServiceAccount\n"
                f"metadata:\n  name: {name}\n  namespace: {ns}\n"]
        cat = crdcat.catalog_key(name, r["chart"])
        if cat:
            in_dir, entries = crdcat.CATALOG[cat]
            if not in_dir or _include_crds(r, defaults, a.all("args")):
                docs += [crdcat.crd_yaml(e, name, chart, flux_version) for e in entries]
        docs.append(f"---\n# Source: {chart}/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\n"
                    f"metadata:\n  name: {name}-config\n  namespace: {ns}\ndata:\n  chart: {chart}\n")
        call.out("".join(docs), end="")
    return 0


def _wrap(path_arg: str, r: dict, ns: str, err: str, rc: int, helm: str) -> str:
    argv = ["helm", "upgrade", "--install", r["name"], r["chart"], "--version", str(r.get("version", "")),
            "--namespace", ns, "--create-namespace", "--wait"]
    args = "\n".join(f"  {i}: {x} ({len(x)} bytes)" for i, x in enumerate(argv))
    body = "\n".join("  " + line for line in err.splitlines())
    return (f"in {path_arg}: failed processing release {r['name']}: command \"{helm}\" exited with non-zero status:\n\n"
            f"PATH:\n  {helm}\n\nARGS:\n{args}\n\nERROR:\n  exit status {rc}\n\nEXIT STATUS\n  {rc}\n\n"
            f"STDERR:\n{body}\n\nCOMBINED OUTPUT:\n{body}")


def _summary(title: str, done: list[tuple[dict, str, float]]) -> str:
    rows = [["NAME", "NAMESPACE", "CHART", "VERSION", "DURATION"]]
    rows += [[r["name"], ns, r["chart"], str(r.get("version", "")), go_duration(d)] for r, ns, d in done]
    return f"\n{title}\n" + table(rows, right={4})


def sync(call, a, releases, defaults, default_ns, path_arg: str) -> int:
    with call.state(write=False) as st:
        host = reach(call, st, View(st, call.now()), kubeconfig=a.get("kubeconfig"),
                     context=a.get("kube-context"), style="helm")
    import shutil

    helm = shutil.which("helm", path=call.env.get("PATH")) or "helm"
    from wizard.sim.timing import parse_duration

    done: list[tuple[dict, str, float]] = []
    for r in releases:
        ns = r.get("namespace") or default_ns
        call.err(f"Upgrading release={r['name']}, chart={r['chart']}, namespace={ns}")
        hargv = ["upgrade", "--install", r["name"], r["chart"], "--namespace", ns]
        start = call.now()
        try:
            for tool in ("helmfile", "helm"):  # faults scoped to this release, under either tool name
                saved = (call.tool, call.argv)
                call.tool, call.argv = tool, (call.argv if tool == "helmfile" else hargv)
                try:
                    call.begin("sync", release=r["name"], release_level=True, host=host)
                finally:
                    call.tool, call.argv = saved
            t = r.get("timeout", defaults.get("timeout"))
            timeout = float(t) if isinstance(t, (int, float)) else parse_duration(a.get("timeout", ""), HELM_TIMEOUT)
            wait = bool(r.get("wait", defaults.get("wait", False))) or a.flag("wait")
            rel.upgrade_install(call, name=r["name"], ns=ns, chart=r["chart"], version=str(r.get("version", "")),
                                timeout=timeout, wait=wait, host=host, emit=call.err)
        except (rel.HelmError, Fail) as e:
            text, rc = (e.text, e.rc) if isinstance(e, rel.HelmError) else (e.stderr, e.rc)
            if rc == 137:  # killed mid-operation: helm leaves the release pending, helmfile prints nothing
                rel.killed(call, r["name"], ns, r["chart"], str(r.get("version", "")))
                raise
            if done:
                call.err(_summary("UPDATED RELEASES:", done))
            call.err(_summary("FAILED RELEASES:", [(r, ns, call.now() - start)]))
            raise Fail(_wrap(path_arg, r, ns, text, rc, helm), rc) from None
        call.err(f"\nListing releases matching ^{r['name']}$")
        with call.state(write=False) as st:
            rr = st["releases"][f"{ns}/{r['name']}"]
        call.err(f"{rr['name']}\t{ns}\t{rr['revision']}\t{rel.list_time(rr['deployed_at'])}\tdeployed\t"
                 f"{rel.chart_name(rr['chart'])}-{rr['version']}\t{rr['version']}")
        done.append((r, ns, call.now() - start))
    call.err(_summary("UPDATED RELEASES:", done))
    return 0


def list_(call, a, releases, default_ns) -> int:
    rows = [{"name": r["name"], "namespace": r.get("namespace") or default_ns, "enabled": True,
             "installed": r.get("installed", True) is not False, "labels": ",".join(
                 f"{k}:{v}" for k, v in (r.get("labels") or {}).items()), "chart": r["chart"],
             "version": str(r.get("version", ""))} for r in releases]
    if a.get("output") == "json":
        call.out(json.dumps(rows))
        return 0
    t = [["NAME", "NAMESPACE", "ENABLED", "INSTALLED", "LABELS", "CHART", "VERSION"]]
    t += [[x["name"], x["namespace"], "true", str(x["installed"]).lower(), x["labels"], x["chart"], x["version"]]
          for x in rows]
    call.out(table(t, padding=1))
    return 0


def run(call) -> int:
    a = parse(call.argv, values=VALUES, aliases=ALIASES)
    if a.flag("version") or a.pos[:1] == ["version"]:
        call.begin("version")
        call.out("helmfile version v1.1.9")
        return 0
    sub = a.pos[0] if a.pos else ""
    if sub not in ("template", "sync", "apply", "list"):
        raise Unsupported(sub or "(no subcommand)")
    call.begin(sub)
    path_arg = a.get("file", "helmfile.yaml")
    releases, defaults = _load(Path(path_arg))
    default_ns = a.get("namespace", "default")
    selectors = a.all("selector")
    chosen = _select(releases, selectors, default_ns)
    if selectors and not chosen:
        if a.flag("allow-no-matching-release"):
            return 0
        raise Fail(f"err: no releases found that matches specified selector({','.join(selectors)}) and "
                   f"environment({a.get('environment', 'default')}), in any helmfile", 3)
    if sub == "list":
        return list_(call, a, chosen, default_ns)
    ordered = _order(chosen, releases, default_ns, Path(path_arg))
    if sub == "template":
        return template(call, a, ordered, defaults, default_ns)
    return sync(call, a, ordered, defaults, default_ns, path_arg if path_arg.startswith((".", "/")) else f"./{path_arg}")
