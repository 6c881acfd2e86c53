"""A minimal rendered cluster tree for the runner's integration tests (the files bootstrap reads),
with every secret generated at test time and SOPS-encrypted with the test's age key."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from tests.helpers.trees import APPS_HELMFILE, flux_sync
from wizard.sample import answers_path
from wizard.sops import CryptRule, encrypt

TALCONFIG = """clusterName: apps
talosVersion: v1.12.0
kubernetesVersion: v1.35.0
endpoint: https://10.25.13.10:6443
clusterPodNets: [10.44.0.0/16]
clusterSvcNets: [10.45.0.0/16]
cniConfig: {{name: none}}
nodes:
{nodes}"""


CRDS = """helmDefaults:
  args: [--include-crds, --no-hooks]
releases:
  - name: cert-manager
    namespace: cert-manager
    chart: oci://quay.io/jetstack/charts/cert-manager
    version: v1.19.2
"""


CLUSTER_VARS = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-vars
  namespace: flux-system
data:
  CLUSTER_NAME: apps
  CLUSTER_ID: "2"
  CLUSTER_DOMAIN: monosense.dev
  CLUSTER_CIDR: 10.25.13.0/24
  CLUSTER_POD_CIDR: 10.44.0.0/16
  CLUSTER_SVC_CIDR: 10.45.0.0/16
  CLUSTER_API_ENDPOINT: https://10.25.13.10:6443
  OBSERVABILITY_ROLE: spoke
  OBSERVABILITY_TARGET: http://vmsingle.observability.svc.infra.local:8429
"""

TPL = """apiVersion: v1
kind: Secret
metadata:
  name: cloudflare-api-token
  namespace: cert-manager
stringData:
  api-token: op://k8s-ops/cloudflare/api_token
"""


def deploy_key_pem() -> str:
    key = ed25519.Ed25519PrivateKey.generate()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption()).decode()


def write_cluster(repo: Path, recipient: str, *, branch: str = "release", nodes: int | None = None) -> dict[str, str]:
    """Write the apps cluster tree (optionally only its first ``nodes`` nodes); returns the plaintext
    secret values (for leak scans)."""
    from wizard.answers_io import dump_answers, load_answers

    answers, _ = load_answers(answers_path("apps"))
    if nodes is not None:
        answers = answers.model_copy(update={"nodes": answers.nodes[:nodes]})
    c = repo / "clusters" / "apps"
    (c / "talos").mkdir(parents=True, exist_ok=True)
    (c / "cluster-answers.yaml").write_text(dump_answers(answers))
    nodes = "".join(f"  - hostname: {n.hostname}\n    ipAddress: {n.address}\n    controlPlane: "
                    f"{'true' if n.role == 'controlplane' else 'false'}\n    installDisk: {n.install_disk}\n"
                    for n in answers.nodes)
    (c / "talos" / "talconfig.yaml").write_text(TALCONFIG.format(nodes=nodes))
    pem = deploy_key_pem()
    talsecret = f"cluster:\n  id: test-cluster-id-000000000000\n  secret: {deploy_key_pem().splitlines()[1]}\n"
    (c / "talos" / "talsecret.sops.yaml").write_text(
        encrypt(talsecret, [recipient], path="clusters/apps/talos/talsecret.sops.yaml"))
    (c / "flux" / "flux-system").mkdir(parents=True, exist_ok=True)
    (c / "flux" / "flux-system" / "sync.yaml").write_text(flux_sync(branch))
    (c / "flux" / "cluster-vars.yaml").write_text(CLUSTER_VARS)
    (c / "flux" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cluster-vars.yaml\n")
    b = repo / "bootstrap" / "apps"
    (b / "helmfile.d").mkdir(parents=True, exist_ok=True)
    (b / "helmfile.d" / "01-apps.yaml").write_text(APPS_HELMFILE)
    (b / "helmfile.d" / "00-crds.yaml").write_text(CRDS)
    (b / "secrets.yaml.tpl").write_text(TPL)
    body = "".join(f"    {line}\n" for line in pem.splitlines())
    secret = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: github-deploy-key\n  namespace: flux-system\n"
              f"stringData:\n  identity: |\n{body}  known_hosts: github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
    (b / "github-deploy-key.sops.yaml").write_text(
        encrypt(secret, [recipient], rule=CryptRule("encrypted_regex", "^(data|stringData)$"),
                path="bootstrap/apps/github-deploy-key.sops.yaml"))
    return {"deploy_key": pem, "talsecret": talsecret}
