"""The templates on their own: network variants in talconfig, Cilium and CoreDNS values, BGP on/off,
and values parity between the bootstrap helmfile and the HelmReleases Flux reconciles afterwards."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from tests.helpers.seed import SHARED, make_seed_repo
from tests.render.conftest import answers
from wizard.render import RenderError, flux_chart_version, render_templates, yamlstr
from wizard.spec import ClusterAnswers

_yaml = YAML(typ="safe", pure=True)
TALCONFIG = jsonschema.Draft202012Validator(json.loads((SHARED / "schemas/talconfig.json").read_text()))


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return make_seed_repo(tmp_path_factory.mktemp("seed") / "k8s-ops", git=False)


def render(seed: Path, data: dict) -> dict[str, str]:
    return {f.path: f.content for f in render_templates(ClusterAnswers.model_validate(data), seed)}


def talconfig(files: dict[str, str], name: str = "apps") -> dict:
    doc = _yaml.load(files[f"clusters/{name}/talos/talconfig.yaml"])
    errs = [e.message for e in TALCONFIG.iter_errors(doc)]
    assert not errs, errs
    return doc


def values(files: dict[str, str], path: str) -> dict:
    return _yaml.load(files[f"clusters/apps/apps/{path}/helmrelease.yaml"])["spec"]["values"]


def test_bond_by_mac_vlan_and_vip_on_control_planes_only(seed):
    data = answers("apps")
    data["network"]["bond"] = {"mode": "active-backup", "deviceSelectors": ["aa:bb:cc:*"]}
    data["network"]["vlan"] = 2512
    data["nodes"][0]["macs"] = ["AA:BB:CC:00:00:01", "aa:bb:cc:00:00:02"]
    files = render(seed, data)
    nodes = talconfig(files)["nodes"]
    first, worker = nodes[0]["networkInterfaces"][0], nodes[3]["networkInterfaces"][0]
    # active-backup ignores lacpRate and xmitHashPolicy: the model's defaults are not written
    assert first["bond"] == {"mode": "active-backup", "miimon": 100,
                             "deviceSelectors": [{"hardwareAddr": "aa:bb:cc:00:00:01"}, {"hardwareAddr": "aa:bb:cc:00:00:02"}]}
    assert nodes[1]["networkInterfaces"][0]["bond"]["deviceSelectors"] == [{"hardwareAddr": "aa:bb:cc:*"}]
    assert "addresses" not in first and first["mtu"] == 9000
    assert first["vlans"] == [{"vlanId": 2512, "mtu": 9000, "dhcp": False, "addresses": ["10.25.13.11/24"],
                               "routes": [{"network": "0.0.0.0/0", "gateway": "10.25.13.1"}], "vip": {"ip": "10.25.13.10"}}]
    assert "vip" not in worker["vlans"][0] and worker["vlans"][0]["addresses"] == ["10.25.13.14/24"]
    assert values(files, "kube-system/cilium")["devices"] == "bond0.2512"


def test_lacp_settings_only_for_modes_that_use_them(seed):
    bond = talconfig(render(seed, answers("apps")))["nodes"][0]["networkInterfaces"][0]["bond"]
    assert bond["mode"] == "802.3ad" and bond["lacpRate"] == "fast" and bond["xmitHashPolicy"] == "layer3+4"
    data = answers("apps")
    data["network"]["bond"] = {"mode": "balance-xor", "interfaces": ["enp1s0f0", "enp1s0f1"]}
    bond = talconfig(render(seed, data))["nodes"][0]["networkInterfaces"][0]["bond"]
    assert "lacpRate" not in bond and bond["xmitHashPolicy"] == "layer3+4"


def test_single_nic_no_bgp_no_workers_https_git(seed):
    data = answers("apps")
    del data["network"]["bond"], data["network"]["bgp"]
    data["nodes"] = [{"hostname": "solo", "address": "10.25.13.11", "role": "controlplane", "interface": "eno1"}]
    data["git"]["url"] = "https://github.com/monosense-io/k8s-ops.git"
    data["network"]["serviceCidr"] = "172.16.0.0/12"
    files = render(seed, data)
    doc = talconfig(files)
    assert doc["allowSchedulingOnControlPlanes"] is True
    assert doc["nodes"][0]["networkInterfaces"] == [{
        "interface": "eno1", "mtu": 9000, "dhcp": False, "addresses": ["10.25.13.11/24"],
        "routes": [{"network": "0.0.0.0/0", "gateway": "10.25.13.1"}], "vip": {"ip": "10.25.13.10"}}]
    cilium = values(files, "kube-system/cilium")
    assert cilium["devices"] == "eno1" and cilium["bgpControlPlane"] == {"enabled": False}
    assert cilium["operator"]["replicas"] == 1
    assert values(files, "kube-system/coredns")["service"] == {"name": "kube-dns", "clusterIP": "172.16.0.10"}
    assert "clusters/apps/apps/kube-system/cilium/bgp.yaml" not in files
    assert "bgp.yaml" not in files["clusters/apps/apps/kustomization.yaml"]
    helmfile = files["bootstrap/apps/helmfile.d/01-apps.yaml"]
    assert "ciliumbgp" not in helmfile and "bgp.yaml" not in helmfile
    assert "secretRef" not in files["clusters/apps/flux/flux-system/gitrepository.yaml"]


def test_unnamed_single_nic_uses_its_mac(seed):
    data = answers("apps")
    del data["network"]["bond"]
    data["nodes"][0]["macs"] = ["aa:bb:cc:dd:ee:01"]
    nodes = talconfig(render(seed, data))["nodes"]
    assert nodes[0]["networkInterfaces"][0]["deviceSelector"] == {"hardwareAddr": "aa:bb:cc:dd:ee:01"}
    assert nodes[1]["networkInterfaces"][0]["interface"] == "eth0"


def test_proven_fixes_in_patches_and_cilium(seed):
    files = render(seed, answers("apps"))
    common = _yaml.load(files["clusters/apps/talos/patches/common.yaml"])["machine"]
    cp = _yaml.load(files["clusters/apps/talos/patches/controlplane.yaml"])["cluster"]
    assert common["features"]["kubePrism"] == {"enabled": True, "port": 7445}
    assert common["kubelet"]["nodeIP"]["validSubnets"] == ["10.25.13.0/24"]
    assert cp["etcd"]["advertisedSubnets"] == ["10.25.13.0/24"]
    assert cp["coreDNS"] == {"disabled": True} and cp["proxy"] == {"disabled": True}
    assert cp["apiServer"]["admissionControl"] == {"$$patch": "delete"}  # talhelper turns $$ into $
    spegel = next(f for f in common["files"] if f["path"] == "/etc/cri/conf.d/20-customization.part")
    assert spegel["op"] == "create" and "discard_unpacked_layers = false" in spegel["content"]
    doc = talconfig(files)
    assert doc["cniConfig"] == {"name": "none"} and doc["endpoint"] == "https://10.25.13.10:6443"
    assert doc["allowSchedulingOnControlPlanes"] is False and "allowSchedulingOnControlPlane" not in doc
    assert [n.get("networkInterfaces")[0].get("vip") for n in doc["nodes"]] == [{"ip": "10.25.13.10"}] * 3 + [None] * 3
    c = values(files, "kube-system/cilium")
    assert c["cluster"] == {"name": "apps", "id": 2} and c["ipv4NativeRoutingCIDR"] == "10.44.0.0/16"
    assert (c["k8sServiceHost"], c["k8sServicePort"], c["kubeProxyReplacement"]) == ("127.0.0.1", 7445, True)
    assert c["bpf"]["masquerade"] and c["bpf"]["tproxy"] and c["bgpControlPlane"]["enabled"] and c["MTU"] == 9000
    assert c["hubble"]["relay"]["enabled"] and not c["hubble"]["ui"]["enabled"]
    hub = answers("infra")
    assert values({k.replace("/infra/", "/apps/"): v for k, v in render(seed, hub).items()},
                  "kube-system/cilium")["hubble"]["ui"]["enabled"] is True
    assert values(files, "kube-system/coredns")["service"]["clusterIP"] == "10.45.0.10"


def test_yamlstr_keeps_strings_strings():
    assert yamlstr("release") == "release" and yamlstr("10.25.13.0/24") == "10.25.13.0/24"
    for tricky in ("true", "no", "1.18.5", "2", "a: b", "#x", "*x", "", "v: "):
        assert _yaml.load(f"k: {yamlstr(tricky)}\n") == {"k": tricky}, tricky


def test_flux_chart_version():
    assert flux_chart_version("2.7.5") == "2.17.0"
    with pytest.raises(RenderError) as exc:
        flux_chart_version("3.0.0")
    assert exc.value.exit_code == 2 and "versions.flux" in str(exc.value)


def test_values_parity_between_helmfile_and_helmreleases(built):
    """helmfile's values come from the very HelmRelease files Flux reconciles: each release of
    01-apps.yaml maps (through values.yaml.gotmpl's readFile path) to a HelmRelease of the same name,
    namespace, chart and version, which the cluster-local Kustomization applies."""
    repo, _, _ = built
    bin_ = Path(sys.executable).parent
    for name in ("infra", "apps"):
        hf_dir = repo / f"bootstrap/{name}/helmfile.d"
        helmfile = _yaml.load((hf_dir / "01-apps.yaml").read_text())
        gotmpl = (repo / f"bootstrap/{name}/templates/values.yaml.gotmpl").read_text()
        m = re.search(r'readFile \(printf "([^"]+)" \.Release\.Namespace \.Release\.Name\)\)\)\.spec\.values \| toYaml', gotmpl)
        assert m, gotmpl
        applied = subprocess.run([str(bin_ / "kubectl"), "kustomize", f"clusters/{name}/apps"], cwd=repo,
                                 capture_output=True, text=True, check=True).stdout
        objects = {(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]): d
                   for d in _yaml.load_all(applied) if d}
        repos = {r["name"]: r["url"] for r in helmfile["repositories"]}
        assert [r["name"] for r in helmfile["releases"]] == ["cilium", "coredns", "spegel", "cert-manager", "flux"]
        for rel in helmfile["releases"]:
            assert rel["values"] == ["../templates/values.yaml.gotmpl"]
            hr_path = (hf_dir / (m.group(1) % (rel["namespace"], rel["name"]))).resolve()
            hr = _yaml.load(hr_path.read_text())
            assert (hr["kind"], hr["metadata"]["name"], hr["metadata"]["namespace"]) == ("HelmRelease", rel["name"], rel["namespace"])
            assert objects[("HelmRelease", rel["namespace"], rel["name"])] == hr  # Flux applies this very file
            assert "${" not in json.dumps(hr["spec"]["values"])  # helmfile reads it raw: no Flux substitution
            if rel["chart"].startswith("oci://"):
                src = objects[("OCIRepository", "flux-system", hr["spec"]["chartRef"]["name"])]
                assert (src["spec"]["url"], src["spec"]["ref"]["tag"]) == (rel["chart"], rel["version"])
            else:
                repo_name, chart = rel["chart"].split("/")
                spec = hr["spec"]["chart"]["spec"]
                assert (spec["chart"], str(spec["version"])) == (chart, rel["version"])
                seed_src = _yaml.load((repo / f"infrastructure/base/repositories/helm/{spec['sourceRef']['name']}.yaml").read_text())
                assert seed_src["spec"]["url"] == repos[repo_name]
        # needs only within this file, in the documented order
        names = {f"{r['namespace']}/{r['name']}" for r in helmfile["releases"]}
        assert all(set(r.get("needs", [])) <= names for r in helmfile["releases"])
        crds = _yaml.load((hf_dir / "00-crds.yaml").read_text())
        assert all("needs" not in r for r in crds["releases"])
