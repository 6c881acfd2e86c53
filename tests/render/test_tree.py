"""The tree new-cluster writes for infra then apps, judged by the real tools and the upstream schemas."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
from ruamel.yaml import YAML

from tests.helpers.seed import SHARED

SCHEMAS = SHARED / "schemas"
BIN = Path(sys.executable).parent
_yaml = YAML(typ="safe", pure=True)


def load_all(path: Path) -> list:
    return [d for d in _yaml.load_all(path.read_text()) if d is not None]


def tool(*argv: str, cwd: Path, env_key: Path | None = None) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    if env_key:
        env["SOPS_AGE_KEY_FILE"] = str(env_key)
    return subprocess.run([str(BIN / argv[0]) if (BIN / argv[0]).exists() else argv[0], *argv[1:]],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_tree_has_every_file(built):
    repo, _, _ = built
    for name in ("infra", "apps"):
        for rel in ("talos/talconfig.yaml", "talos/talsecret.sops.yaml", "talos/.gitignore", "talos/patches/common.yaml",
                    "talos/patches/controlplane.yaml", "talos/patches/worker.yaml", "flux/kustomization.yaml",
                    "flux/cluster-vars.yaml", "flux/config/cluster-infrastructure.yaml", "flux/config/cluster-apps.yaml",
                    "flux/config/cluster-local.yaml", "flux/repositories/kustomization.yaml",
                    "flux/flux-system/gitrepository.yaml", "flux/flux-system/sync.yaml", "apps/kustomization.yaml",
                    "cluster-answers.yaml"):
            assert (repo / "clusters" / name / rel).is_file(), rel
        for rel in ("helmfile.d/00-crds.yaml", "helmfile.d/01-apps.yaml", "templates/values.yaml.gotmpl",
                    "secrets.yaml.tpl", "github-deploy-key.sops.yaml"):
            assert (repo / "bootstrap" / name / rel).is_file(), rel
    assert "op://k8s-ops/" in (repo / "bootstrap/apps/secrets.yaml.tpl").read_text()
    ignored = (repo / ".gitignore").read_text().splitlines()
    for entry in (".kubeconfig*", "talosconfig", "bootstrap/*/secrets.yaml", ".k8s-wizard/"):
        assert entry in ignored


def test_real_sops_decrypts_every_secret(built):
    repo, keys, _ = built
    files = sorted(f for f in repo.rglob("*.sops.yaml") if f.name != ".sops.yaml")  # not the config
    assert len(files) >= 4
    for f in files:
        proc = tool("sops", "-d", str(f), cwd=repo, env_key=keys)
        assert proc.returncode == 0, f"{f}: {proc.stderr}"
        doc = _yaml.load(proc.stdout)
        if f.name == "github-deploy-key.sops.yaml":
            assert doc["kind"] == "Secret" and "OPENSSH PRIVATE KEY" in doc["stringData"]["identity"]
            # Flux must read kind/metadata: only data/stringData are encrypted
            raw = _yaml.load(f.read_text())
            assert raw["kind"] == "Secret" and raw["stringData"]["identity"].startswith("ENC[")
        if f.name == "talsecret.sops.yaml":
            body = f.read_text().split("\nsops:")[0]
            leaves = re.findall(r":[ ]+(\S.*)$", body, re.M)  # whole file: every value is ciphertext
            assert leaves and all(v.startswith("ENC[AES256_GCM,") for v in leaves), body[:400]
            assert set(doc) >= {"cluster", "secrets", "trustdinfo", "certs"}


def test_task_list_shows_both_clusters(built):
    repo, _, _ = built
    proc = tool("task", "--list", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^\* bootstrap:apps:", proc.stdout, re.M) and re.search(r"^\* bootstrap:infra:", proc.stdout, re.M)
    proc = tool("task", "--dry", "bootstrap:apps", cwd=repo)
    assert "k8s-wizard bootstrap apps" in proc.stdout + proc.stderr


def test_kustomize_build_apps(built):
    repo, _, _ = built
    proc = tool("kubectl", "kustomize", "clusters/apps/flux", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in _yaml.load_all(proc.stdout) if d]
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    git = by[("GitRepository", "k8s-ops")]
    assert git["spec"]["ref"] == {"branch": "release"}
    assert git["spec"]["secretRef"] == {"name": "github-deploy-key"}
    assert by[("ConfigMap", "cluster-vars")]["data"] == {
        "CLUSTER_NAME": "apps", "CLUSTER_ID": "2", "CLUSTER_DOMAIN": "monosense.dev", "CLUSTER_CIDR": "10.25.13.0/24",
        "CLUSTER_POD_CIDR": "10.44.0.0/16", "CLUSTER_SVC_CIDR": "10.45.0.0/16",
        "CLUSTER_API_ENDPOINT": "https://10.25.13.10:6443", "OBSERVABILITY_ROLE": "spoke",
        "OBSERVABILITY_TARGET": "http://vmsingle.observability.svc.infra.local:8429"}
    infra_vars = load_all(repo / "clusters/infra/flux/cluster-vars.yaml")[0]["data"]
    assert infra_vars["CLUSTER_ID"] == "1" and "OBSERVABILITY_TARGET" not in infra_vars
    # every dependsOn names a Flux Kustomization the tree defines
    flux_ks = {d["metadata"]["name"] for d in docs if d["kind"] == "Kustomization"}
    assert flux_ks >= {"flux-system", "cluster-repositories", "cluster-infrastructure", "cluster-apps", "cluster-local"}
    for d in docs:
        for dep in d.get("spec", {}).get("dependsOn", []):
            assert dep["name"] in flux_ks, (d["metadata"]["name"], dep)
    # each Flux Kustomization's path builds (empty shared folders included)
    for d in docs:
        if d["kind"] == "Kustomization":
            path = d["spec"]["path"]
            built_ = tool("kubectl", "kustomize", path, cwd=repo)
            assert built_.returncode == 0, (path, built_.stderr)


def test_yamllint_passes_on_the_repo(built):
    repo, _, _ = built
    proc = tool("yamllint", "-f", "parsable", "-c", ".yamllint.yaml", ".", cwd=repo)
    assert proc.returncode == 0 and proc.stdout == "", proc.stdout + proc.stderr


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def _crd_validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    out = {}
    for f in (SCHEMAS / "flux").glob("*.yaml"):
        crd = _yaml.load(f.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for v in crd["spec"]["versions"]:
            out[(f"{group}/{v['name']}", kind)] = jsonschema.Draft7Validator(v["schema"]["openAPIV3Schema"])
    return out


def test_files_validate_against_upstream_schemas(built):
    repo, _, _ = built
    talconfig = jsonschema.Draft202012Validator(_schema("talconfig.json"))
    helmfile = jsonschema.Draft7Validator(_schema("helmfile.json"))
    kustomization = jsonschema.Draft7Validator(_schema("kustomization.json"))
    taskfile = jsonschema.Draft7Validator(_schema("taskfile.json"))
    crds = _crd_validators()
    checked = {"flux": 0, "kustomize": 0}
    for name in ("infra", "apps"):
        errs = [e.message for e in talconfig.iter_errors(load_all(repo / f"clusters/{name}/talos/talconfig.yaml")[0])]
        assert not errs, errs
        for f in ("00-crds.yaml", "01-apps.yaml"):
            errs = [e.message for e in helmfile.iter_errors(load_all(repo / f"bootstrap/{name}/helmfile.d/{f}")[0])]
            assert not errs, (f, errs)
        for f in (repo / "clusters" / name).rglob("*.yaml"):
            if f.name.endswith(".sops.yaml") or "talos" in f.parts:
                continue
            for doc in load_all(f):
                if doc.get("apiVersion") == "kustomize.config.k8s.io/v1beta1":
                    errs = [e.message for e in kustomization.iter_errors(doc)]
                    checked["kustomize"] += 1
                elif (doc.get("apiVersion"), doc.get("kind")) in crds:
                    errs = [e.message for e in crds[(doc["apiVersion"], doc["kind"])].iter_errors(doc)]
                    checked["flux"] += 1
                else:
                    continue
                assert not errs, (f, errs)
    for f in ("Taskfile.yaml", ".taskfiles/bootstrap/Taskfile.yaml"):
        errs = [e.message for e in taskfile.iter_errors(load_all(repo / f)[0])]
        assert not errs, (f, errs)
    assert checked["flux"] >= 2 * 12 and checked["kustomize"] >= 2 * 3


def _tree(repo: Path, name: str) -> dict[str, str]:
    out = {}
    for root in (repo / "clusters" / name, repo / "bootstrap" / name):
        for f in sorted(root.rglob("*")):
            if f.is_file() and not f.name.endswith(".sops.yaml") and f.name != "cluster-answers.yaml":
                out[f.relative_to(repo).as_posix().replace(f"/{name}/", "/apps/", 1)] = f.read_text()
    return out


def _as_apps(text: str) -> str:
    """infra's text with each value its answers give replaced by apps' value."""
    for a, b in (("10.25.11.", "10.25.13."), ("10.42.", "10.44."), ("10.43.", "10.45."), ('"1"', '"2"'),
                 ("id: 1\n", "id: 2\n"), ("branch: main", "branch: release"), ("branch main", "branch release")):
        text = text.replace(a, b)
    return re.sub(r"\binfra\b", "apps", text)  # the name; not "infrastructure"


def test_apps_differs_from_infra_only_where_the_answers_differ(built):
    repo, _, _ = built
    infra, apps = _tree(repo, "infra"), _tree(repo, "apps")
    assert infra.keys() == apps.keys()
    changed = []
    for path in infra:
        for line in difflib.unified_diff(_as_apps(infra[path]).splitlines(), apps[path].splitlines(), lineterm="", n=0):
            if line[:1] in "+-" and not line.startswith(("+++", "---")):
                changed.append(f"{path}: {line}")
    # what is left is exactly what role (hub/spoke) and the BGP ASN change
    allowed = ("enabled: true", "enabled: false", "OBSERVABILITY_ROLE", "OBSERVABILITY_TARGET", "localASN: 6451")
    assert changed, "the normalisation hid everything"
    assert all(any(a in c for a in allowed) for c in changed), "\n".join(changed)
    assert any("OBSERVABILITY_TARGET" in c for c in changed)
    ui = [c for c in changed if "enabled:" in c]
    assert ui == ["clusters/apps/apps/kube-system/cilium/helmrelease.yaml: -        enabled: true",
                  "clusters/apps/apps/kube-system/cilium/helmrelease.yaml: +        enabled: false"]
