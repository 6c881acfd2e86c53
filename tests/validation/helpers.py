"""Shared test data: the seed's apps cluster answers as a dict, and finding filters."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from wizard.findings import Finding
from wizard.validation import validate_answers

APPS: dict[str, Any] = {
    "apiVersion": "k8s-wizard/v1",
    "kind": "ClusterAnswers",
    "cluster": {"name": "apps", "id": 2, "domain": "monosense.dev", "branch": "release",
                "observability": {"role": "spoke", "target": "http://vmsingle.observability.svc.infra.local:8429"}},
    "network": {
        "nodeCidr": "10.25.13.0/24", "gateway": "10.25.13.1", "vip": "10.25.13.10",
        "podCidr": "10.44.0.0/16", "serviceCidr": "10.45.0.0/16", "nameservers": ["10.25.13.1"], "mtu": 9000,
        "bond": {"mode": "802.3ad", "lacpRate": "fast", "miimon": 100, "xmitHashPolicy": "layer3+4",
                 "interfaces": ["enp1s0f0", "enp1s0f1"]},
        "bgp": {"localAsn": 64513, "peerAddress": "10.25.13.1", "peerAsn": 64501},
    },
    "nodes": [
        {"hostname": f"apps-{'cp' if i < 3 else 'wk'}-{i % 3 + 1}", "address": f"10.25.13.{11 + i}",
         "role": "controlplane" if i < 3 else "worker", "installDisk": "/dev/nvme0n1"}
        for i in range(6)
    ],
    "versions": {"talos": "v1.12.0", "kubernetes": "v1.35.0", "cilium": "1.18.5", "flux": "2.7.5",
                 "certManager": "v1.19.2"},
    "git": {"url": "ssh://git@github.com/monosense-io/k8s-ops.git", "sourceName": "k8s-ops"},
    "secrets": {"onepasswordVault": "k8s-ops"},
}

INFRA_VARS = """\
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  CLUSTER_NAME: infra
  CLUSTER_ID: "1"
  CLUSTER_DOMAIN: monosense.dev
  CLUSTER_CIDR: 10.25.11.0/24
  CLUSTER_POD_CIDR: 10.42.0.0/16
  CLUSTER_SVC_CIDR: 10.43.0.0/16
  CLUSTER_API_ENDPOINT: https://10.25.11.10:6443
  OBSERVABILITY_ROLE: hub
"""


def apps() -> dict[str, Any]:
    """A fresh deep copy of the seed's apps answers (mutate freely)."""
    return copy.deepcopy(APPS)


def infra() -> dict[str, Any]:
    """The seed's infra answers: the apps ones with infra's identity, CIDRs and role."""
    a = apps()
    a["cluster"] = {"name": "infra", "id": 1, "domain": "monosense.dev", "branch": "main",
                    "observability": {"role": "hub"}}
    n = a["network"]
    n.update(nodeCidr="10.25.11.0/24", gateway="10.25.11.1", vip="10.25.11.10", podCidr="10.42.0.0/16",
             serviceCidr="10.43.0.0/16", nameservers=["10.25.11.1"])
    n["bgp"] = {"localAsn": 64512, "peerAddress": "10.25.11.1", "peerAsn": 64501}
    for node in a["nodes"]:
        node["hostname"] = node["hostname"].replace("apps", "infra")
        node["address"] = node["address"].replace("10.25.13.", "10.25.11.")
    return a


def at(findings: list[Finding], field: str, severity: str = "error") -> list[str]:
    """Messages of the findings on ``field`` with ``severity``."""
    return [f.message for f in findings if f.field == field and f.severity == severity]


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


def validate(answers: dict[str, Any], inventory=None) -> list[Finding]:
    return validate_answers(answers, inventory)


def write(path: Path, text: str) -> Path:
    """Write a test input file (plain write: inputs are not k8s-wizard output, so not secret-scanned)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
