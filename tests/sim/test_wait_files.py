"""``kubectl wait -f FILE|-``: wait for the objects of manifests, as kubectl's resource builder does
(condition waits fetch the object first: NotFound at once; ``--for=create`` polls until they exist)."""

from __future__ import annotations

from tests.sim.conftest import APPS_HELMFILE, FLUX_SYNC, SECRETS

CRDS = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.io
spec:
  group: example.io
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.io
spec:
  group: example.io
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Cluster
  versions: [{name: v1, served: true, storage: true}]
"""
CRD_MET = ["customresourcedefinition.apiextensions.k8s.io/widgets.example.io condition met",
           "customresourcedefinition.apiextensions.k8s.io/gadgets.example.io condition met"]
CONTROLLERS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: source-controller
  namespace: flux-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kustomize-controller
  namespace: flux-system
"""


def test_wait_for_crds_of_a_manifest(sim):
    sim.fast_api()
    f = sim.write("crds.yaml", CRDS)
    early = sim.run("kubectl", "wait", "--for=create", "-f", str(f), "--timeout=2s")
    assert early.returncode == 1 and early.stdout == "" and early.stderr.strip() == (
        "error: timed out waiting for the condition")
    missing = sim.run("kubectl", "wait", "--for", "condition=established", "-f", str(f), "--timeout=30s")
    assert missing.returncode == 1 and missing.stderr.strip() == (
        'Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io "widgets.example.io" not found')
    sim.ok("kubectl", "apply", "--server-side", "-f", str(f))
    est = sim.ok("kubectl", "wait", "--for", "condition=established", "--timeout=30s", "-f", "-", stdin=CRDS)
    assert est.stdout.splitlines() == CRD_MET
    assert sim.ok("kubectl", "wait", "--for=create", "--filename", str(f)).stdout.splitlines() == CRD_MET
    both = sim.run("kubectl", "wait", "--for=create", "-f", str(f), "crd/widgets.example.io")
    assert both.returncode == 1 and "may not specify resource arguments as well" in both.stderr


def test_wait_for_flux_objects_and_deployments_of_a_manifest(sim):
    sim.fast_api()
    early = sim.run("kubectl", "wait", "--for=condition=Ready", "-f", "-", "--timeout=5s", stdin=FLUX_SYNC)
    assert early.returncode == 1 and 'no matches for kind "GitRepository" in version "source.toolkit.fluxcd.io/v1"' \
        in early.stderr and "ensure CRDs are installed first" in early.stderr
    apps = sim.write("01-apps.yaml", APPS_HELMFILE)
    sim.ok("helmfile", "-f", str(apps), "sync")
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=SECRETS)
    deps = sim.ok("kubectl", "wait", "--for=condition=Available", "-f", str(sim.write("ctrl.yaml", CONTROLLERS)))
    assert deps.stdout.splitlines() == ["deployment.apps/source-controller condition met",
                                        "deployment.apps/kustomize-controller condition met"]
    sim.ok("kubectl", "apply", "--server-side", "-f", "-", stdin=FLUX_SYNC)
    ready = sim.ok("kubectl", "wait", "--for=condition=Ready", "-f", "-", "--timeout=60s", stdin=FLUX_SYNC)
    assert ready.stdout.splitlines() == ["gitrepository.source.toolkit.fluxcd.io/k8s-ops condition met",
                                         "kustomization.kustomize.toolkit.fluxcd.io/flux-system condition met"]
