"""Which API server a Kubernetes client (kubectl, helm, helmfile, flux, cilium) talks to, from
``--kubeconfig`` / ``KUBECONFIG`` / ``~/.kube/config``, ``--context`` and ``--server``.

Kubeconfigs written by the fake ``talosctl kubeconfig`` are indexed in the state (path -> contexts ->
server host) so most calls avoid parsing YAML; any other kubeconfig is parsed once.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from wizard.sim.main import Fail

NO_CONFIG = "localhost:8080"


class KubeconfigError(Exception):
    pass


def _parse(path: Path) -> dict:
    from wizard.sim.yamlio import load

    try:
        doc = load(path.read_text(encoding="utf-8")) or {}
    except Exception as exc:  # unreadable or not YAML
        raise KubeconfigError(f"error loading config file \"{path}\": {exc.__class__.__name__}") from None
    clusters = {c.get("name"): (c.get("cluster") or {}).get("server", "") for c in doc.get("clusters") or []}
    contexts = {c.get("name"): clusters.get((c.get("context") or {}).get("cluster"), "")
                for c in doc.get("contexts") or []}
    return {"current": doc.get("current-context"),
            "contexts": {k: (urlparse(v).hostname or "") for k, v in contexts.items()}}


def server_host(st: dict, *, kubeconfig: str | None, context: str | None, server: str | None,
                env: dict[str, str]) -> str:
    """Host of the API server to dial; ``NO_CONFIG`` when no kubeconfig exists (kubectl's default)."""
    if server:
        return urlparse(server if "://" in server else f"https://{server}").hostname or server
    explicit = bool(kubeconfig)
    if not kubeconfig:
        kubeconfig = (env.get("KUBECONFIG") or "").split(os.pathsep)[0] or str(
            Path(env.get("HOME", "~")) / ".kube" / "config")
    path = Path(kubeconfig)
    if not path.exists():
        if explicit:
            raise KubeconfigError(f"stat {kubeconfig}: no such file or directory")
        return NO_CONFIG
    rp = str(path.resolve())
    known = st.get("kubeconfigs", {}).get(rp)
    if known and known.get("mtime_ns") == path.stat().st_mtime_ns:
        info = {"current": known["current"], "contexts": known["contexts"]}
    else:
        info = _parse(path)
    ctx = context or info["current"]
    if not ctx:
        return NO_CONFIG
    if ctx not in info["contexts"]:
        raise KubeconfigError(f'context "{ctx}" does not exist')
    return info["contexts"][ctx]


def reach(call, st: dict, v, *, kubeconfig: str | None, context: str | None, server: str | None = None,
          style: str = "kubectl") -> str:
    """The API host if it answers now; otherwise raise the client's own error text."""
    from wizard.sim import effects

    try:
        host = server_host(st, kubeconfig=kubeconfig, context=context, server=server, env=call.env)
    except KubeconfigError as exc:
        raise Fail(f"error: {exc}" if style == "kubectl" else f"Error: {exc}") from None
    if host == NO_CONFIG:
        get = 'Get "http://localhost:8080/version": dial tcp 127.0.0.1:8080: connect: connection refused'
        raise Fail({"kubectl": "The connection to the server localhost:8080 was refused - did you specify the right "
                               "host or port?",
                    "helm": f"Error: Kubernetes cluster unreachable: {get}",
                    "flux": f"✗ Kubernetes API call failed: {get}"}.get(style, f"\nError: Unable to determine status: {get}"))
    why = v.api_error(host)
    if why is None:
        return host
    if style == "kubectl":
        raise Fail(effects.kubectl_unreachable(host, why))
    if style == "helm":
        raise Fail(effects.helm_unreachable(host, why))
    if style == "flux":
        raise Fail(f"✗ Kubernetes API call failed: {effects.go_get_error(host, why)}")
    raise Fail(f"\nError: Unable to determine status: {effects.go_get_error(host, why)}")
