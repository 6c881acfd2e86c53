"""Secrets Flux needs at bootstrap that are never committed: ``sops-age`` (the operator's age
identity as ``age.agekey``, so kustomize-controller can decrypt ``*.sops.yaml``). Built in memory
and piped to ``kubectl apply --server-side -f -``."""

from __future__ import annotations

import json


def _identity_lines(identities_text: str) -> str:
    keep = [ln.strip() for ln in identities_text.splitlines() if ln.strip().startswith(("AGE-SECRET-KEY-", "#"))]
    if not any(ln.startswith("AGE-SECRET-KEY-") for ln in keep):
        raise ValueError("no AGE-SECRET-KEY line found in the age key material")
    return "\n".join(keep) + "\n"


def secret_manifest(name: str, namespace: str, string_data: dict[str, str]) -> str:
    """A v1 Secret as YAML; values are JSON-quoted so any content (newlines included) is safe."""
    lines = ["---", "apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}", f"  namespace: {namespace}",
             "type: Opaque", "stringData:"]
    lines += [f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in string_data.items()]
    return "\n".join(lines) + "\n"


def sops_age_secret_yaml(identities_text: str, namespace: str = "flux-system") -> str:
    return secret_manifest("sops-age", namespace, {"age.agekey": _identity_lines(identities_text)})
