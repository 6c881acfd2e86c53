"""``kubectl apply [--server-side] [--force-conflicts] [-n NS] -f FILE|DIR|-``: records the objects.

Secrets are stored as names and key names only, never values. Custom resources need their CRD
Established ("no matches for kind ... ensure CRDs are installed first"); namespaced objects need their
namespace; cert-manager kinds need the cert-manager webhook up. Errors are collected per document and
the exit code is 1 if any failed, as kubectl does.
"""

from __future__ import annotations

import sys
from pathlib import Path

from wizard.sim import crds as crdcat
from wizard.sim import effects, kubeobj
from wizard.sim.cluster import View
from wizard.sim.main import Fail
from wizard.sim.timing import PHASE


def _kustomize(d: Path, seen: set) -> list[tuple[str, str]]:
    """A minimal ``kustomize build``: the ``resources:`` of kustomization.yaml, files and folders,
    recursively (patches, generators and transformers are not simulated)."""
    from wizard.sim.yamlio import load

    kfile = next((d / n for n in ("kustomization.yaml", "kustomization.yml", "Kustomization") if (d / n).exists()), None)
    if kfile is None:
        raise Fail(f"error: unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in "
                   f"directory '{d}'")
    if d.resolve() in seen:
        raise Fail(f"error: cycle detected: {d}")
    seen.add(d.resolve())
    out = []
    for r in (load(kfile.read_text(encoding="utf-8")) or {}).get("resources") or []:
        p = (d / str(r))
        if p.is_dir():
            out += _kustomize(p, seen)
        elif p.is_file():
            out.append((str(p), p.read_text(encoding="utf-8")))
        else:
            raise Fail(f"error: accumulating resources: accumulation err='accumulating resources from '{r}': "
                       f"open {p}: no such file or directory'")
    return out


def _read_sources(k) -> list[tuple[str, str]]:
    files = k.a.all("filename")
    if k.a.get("kustomize"):
        return _kustomize(Path(k.a.get("kustomize")), set())
    if not files:
        raise Fail("error: must specify one of -f and -k")
    out = []
    for f in files:
        if f == "-":
            out.append(("STDIN", sys.stdin.read()))
            continue
        p = Path(f)
        if p.is_dir():
            out += [(str(x), x.read_text(encoding="utf-8")) for x in sorted(p.iterdir())
                    if x.suffix in (".yaml", ".yml", ".json")]
        elif p.exists():
            out.append((f, p.read_text(encoding="utf-8")))
        else:
            raise Fail(f'error: the path "{f}" does not exist')
    return out


def _docs(source: str, text: str) -> list[dict]:
    from wizard.sim.yamlio import load_all

    try:
        docs = load_all(text)
    except Exception as exc:  # any YAML error
        raise Fail(f'error: error parsing {source}: error converting YAML to JSON: {exc.__class__.__name__}') from None
    out = []
    for d in docs:
        if isinstance(d, dict) and d.get("kind") == "List":
            out += [x for x in d.get("items") or [] if isinstance(x, dict)]
        elif isinstance(d, dict):
            out.append(d)
    return out


def _store(call, st: dict, v: View, res, d: dict, ns: str | None) -> str:
    md = d["metadata"]
    name, kind = md["name"], d["kind"]
    now = v.now  # the instant of this View, so later documents of the same apply see this object
    if kind == "CustomResourceDefinition":
        spec = d.get("spec") or {}
        names = spec.get("names") or {}
        versions = [x.get("name") for x in spec.get("versions") or [] if isinstance(x, dict)]
        storage = [x.get("name") for x in spec.get("versions") or [] if isinstance(x, dict) and x.get("storage")]
        versions = [x for x in versions if x not in storage] + storage
        entry = (spec.get("group", ""), versions or ["v1"], names.get("kind", ""), names.get("plural", ""),
                 spec.get("scope", "Namespaced"))
        existed = name in st["crds"]
        if not existed:
            st["crds"][name] = crdcat.record(entry, now, "kubectl", PHASE["crd_established"])
        return "unchanged" if existed else "created"
    key = f"{kind}/{ns or ''}/{name}"
    old = st["objects"].get(key)
    rec = {"kind": kind, "apiVersion": d.get("apiVersion", ""), "name": name, "namespace": ns,
           "labels": md.get("labels") or {}, "created_at": old["created_at"] if old else now, "updated_at": now,
           "origin": old.get("origin", "kubectl") if old else "kubectl"}
    if kind == "Secret":
        # never the values: only which keys exist (tests and verify need no more)
        rec["keys"] = sorted({*(d.get("data") or {}), *(d.get("stringData") or {})})
        rec["type"] = d.get("type", "Opaque")
    elif kind == "ConfigMap":
        rec["data"] = {str(x): str(y) for x, y in (d.get("data") or {}).items()}
    else:
        rec["spec"] = d.get("spec") or {}
    if old and old.get("expanded"):
        rec["expanded"] = True
    same = old is not None and all(old.get(x) == rec.get(x) for x in ("spec", "data", "keys", "labels"))
    st["objects"][key] = rec
    return "unchanged" if same else ("configured" if old else "created")


def apply(k) -> int:
    call, a = k.call, k.a
    server_side = a.flag("server-side")
    dry = a.get("dry-run")
    sources = _read_sources(k)
    errors, lines = [], []
    with call.state(write=dry in (None, "none")) as st:
        v = View(st, call.now())
        k.reach(st, v)
        for source, text in sources:
            for d in _docs(source, text):
                md = d.get("metadata") or {}
                missing = [f for f, ok in (("apiVersion", d.get("apiVersion")), ("kind", d.get("kind"))) if not ok]
                if missing or not md.get("name"):
                    what = ", ".join(f"{m} not set" for m in missing) or "metadata.name not set"
                    errors.append(f'error: error validating "{source}": error validating data: [{what}]; if you choose '
                                  "to ignore these errors, turn validation off with --validate=false")
                    continue
                res = kubeobj.res_for_kind(v, d["kind"], d["apiVersion"])
                if res is None:
                    errors.append(f'error: resource mapping not found for name: "{md["name"]}" namespace: '
                                  f'"{md.get("namespace", k.ns_flag or "")}" from "{source}": no matches for kind '
                                  f'"{d["kind"]}" in version "{d["apiVersion"]}"\nensure CRDs are installed first')
                    continue
                ns = None
                if res.namespaced:
                    ns = md.get("namespace") or k.ns
                    if k.ns_flag and md.get("namespace") and md["namespace"] != k.ns_flag:
                        errors.append(f'error: the namespace from the provided object "{md["namespace"]}" does not '
                                      f'match the namespace "{k.ns_flag}". You must pass \'--namespace='
                                      f'{md["namespace"]}\' to perform this operation.')
                        continue
                    if not kubeobj.namespace_exists(v, ns):
                        errors.append(f'Error from server (NotFound): namespaces "{ns}" not found' if server_side else
                                      f'Error from server (NotFound): error when creating "{source}": namespaces '
                                      f'"{ns}" not found')
                        continue
                if d["kind"] in kubeobj.WEBHOOK_KINDS and not v.reached(v.webhook_at()):
                    errors.append(f'Error from server (InternalError): error when creating "{source}": Internal error '
                                  "occurred: " + effects.WEBHOOK.format(svc="10.43.0.20"))
                    continue
                result = _store(call, st, v, res, d, ns)
                if server_side:
                    result = "serverside-applied"
                suffix = {"client": " (dry run)", "server": " (server dry run)"}.get(dry or "", "")
                lines.append(f"{res.qualified}/{md['name']} {result}{suffix}")
    for line in lines:
        call.out(line)
    if lines:
        call.event("kubectl-apply", objects=[x.split(" ")[0] for x in lines])
    if errors:
        raise Fail("\n".join(errors))
    return 0
