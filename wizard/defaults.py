"""The seed's defaults (monosense-io/k8s-ops), importable without pydantic (the TUI's first paint uses them)."""

from __future__ import annotations

#: The seed's stack (monosense-io/k8s-ops). ``--like <cluster>`` overrides these from the repo.
DEFAULT_VERSIONS: dict[str, str] = {
    "talos": "v1.12.0",
    "kubernetes": "v1.35.0",
    "cilium": "1.18.5",
    "flux": "2.7.5",
    "certManager": "v1.19.2",
    # Chart versions (no leading "v": the story's "v0.4.0" is not a chart tag).
    "spegel": "0.4.0",
    "coredns": "1.45.0",
}
DEFAULT_DOMAIN = "monosense.dev"
DEFAULT_INSTALL_DISK = "/dev/nvme0n1"
DEFAULT_MTU = 1500
DEFAULT_SOURCE_NAME = "k8s-ops"
DEFAULT_OP_VAULT = "k8s-ops"
