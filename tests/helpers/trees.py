"""Hand-written cluster files shared by the simulator and runner tests: the shape the renderer
writes, reduced to what the fake tools read (the renderer's own output is judged in tests/render)."""

from __future__ import annotations

GIT_URL = "ssh://git@github.com/monosense-io/k8s-ops.git"

APPS_HELMFILE = """\
helmDefaults:
  cleanupOnFail: true
  wait: true
  waitForJobs: true
  timeout: 600
releases:
  - name: cilium
    namespace: kube-system
    chart: oci://ghcr.io/home-operations/charts-mirror/cilium
    version: 1.18.5
  - name: coredns
    namespace: kube-system
    chart: oci://ghcr.io/coredns/charts/coredns
    version: 1.45.0
    needs: [kube-system/cilium]
  - name: spegel
    namespace: kube-system
    chart: oci://ghcr.io/spegel-org/helm-charts/spegel
    version: 0.4.0
    needs: [kube-system/coredns]
  - name: cert-manager
    namespace: cert-manager
    chart: oci://quay.io/jetstack/charts/cert-manager
    version: v1.19.2
    needs: [kube-system/spegel]
  - name: flux
    namespace: flux-system
    chart: oci://ghcr.io/fluxcd-community/charts/flux2
    version: 2.17.2
    needs: [cert-manager/cert-manager]
"""


def flux_sync(branch: str = "release") -> str:
    """The GitRepository on ``branch`` and the flux-system Kustomization (what bootstrap applies)."""
    return FLUX_SYNC_TEMPLATE.replace("@BRANCH@", branch)


FLUX_SYNC_TEMPLATE = f"""\
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: k8s-ops
  namespace: flux-system
spec:
  interval: 1m
  url: {GIT_URL}
  ref:
    branch: @BRANCH@
  secretRef:
    name: github-deploy-key
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 30m
  path: ./clusters/apps/flux
  prune: true
  sourceRef:
    kind: GitRepository
    name: k8s-ops
"""
