"""Shims and environment, unsupported subcommands, scenario-file errors, op, git, the event log."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.pem import begin
from tests.sim.conftest import GIT_URL
from wizard.sim import TOOLS, install_shims, read_events, sim_env
from wizard.sim.faults import parse_scenario
from wizard.sim.state import SimError


def test_install_shims_and_sim_env(tmp_path):
    install_shims(tmp_path / "bin")
    for tool in TOOLS:
        p = tmp_path / "bin" / tool
        assert p.stat().st_mode & stat.S_IXUSR
        assert p.read_text().startswith(f"#!{sys.executable}\n")
    env = sim_env({"PATH": "/usr/bin:/bin"}, state=tmp_path / "s.json", speed=100, scenario=None,
                  bin_dir=tmp_path / "bin")
    assert env["PATH"].split(os.pathsep)[0] == str(tmp_path / "bin")
    assert env["K8S_WIZARD_SIM_SPEED"] == "100.0" and "K8S_WIZARD_SIM_SCENARIO" not in env
    with pytest.raises(ValueError):
        sim_env({}, state=tmp_path / "s.json", speed=0, bin_dir=tmp_path / "bin")
    no_state = subprocess.run([str(tmp_path / "bin" / "kubectl"), "get", "nodes"], capture_output=True, text=True,
                              env={"PATH": env["PATH"]})
    assert no_state.returncode == 1 and "K8S_WIZARD_SIM_STATE is not set" in no_state.stderr
    missing = subprocess.run(["kubectl", "get", "nodes"], capture_output=True, text=True, env=env)
    assert missing.returncode == 1 and "does not exist: create it with wizard.sim.init_state()" in missing.stderr


@pytest.mark.parametrize("argv", [
    ("talosctl", "upgrade-k8s"), ("talosctl", "etcd", "snapshot", "x"), ("talhelper", "gencommand", "apply"),
    ("helmfile", "destroy"), ("helm", "install", "x", "y"), ("kubectl", "delete", "ns", "x"), ("flux", "bootstrap"),
    ("cilium", "install"), ("op", "item", "get", "x"), ("kubectl", "logs", "x")])
def test_unsupported_subcommands_fail_clearly(sim, argv):
    p = sim.run(*argv)
    assert p.returncode == 1 and "is unsupported by the k8s-wizard simulator" in p.stderr and p.stdout == ""


def test_versions_for_preflight(sim):
    assert sim.ok("talosctl", "version", "--client").stdout.startswith("Client:\n\tTag:")
    assert sim.ok("helmfile", "--version").stdout.startswith("helmfile version v")
    assert sim.ok("kubectl", "version", "--client").stdout.startswith("Client Version: v1.35.0")
    assert sim.ok("flux", "--version").stdout.strip() == "flux version 2.7.5"
    assert sim.ok("helm", "version", "--short").stdout.startswith("v3.")
    assert sim.ok("op", "--version").stdout.strip() == "2.32.0"


def test_scenario_file_errors_name_the_field(tmp_path):
    bad = [("faults: [{tool: nope, effect: crash}]", "faults[0].tool"),
           ("faults: [{tool: helm, effect: boom}]", "unknown named effect 'boom'"),
           ("faults: [{tool: helm, effect: crash, times: -1}]", "faults[0].times"),
           ("faults: [{tool: helm, effect: {exit: 300}}]", "faults[0].effect.exit"),
           ("faults: [{tool: helm, effect: crash, colour: red}]", "unknown key(s) ['colour']"),
           ("faults: [{tool: helm, match: '(', effect: crash}]", "faults[0].match: invalid regular expression"),
           ("faults: {a: 1}", "expected a mapping with a `faults:` list"),
           ("faults: [{id: a, tool: helm, effect: crash}, {id: a, tool: git, effect: crash}]", "duplicate fault id")]
    for text, want in bad:
        with pytest.raises(SimError) as exc:
            parse_scenario(text, "s.yaml")
        assert want in str(exc.value) and "s.yaml" in str(exc.value)
    ok = parse_scenario(json.dumps({"faults": [{"tool": "git", "effect": {"delay": 1}}]}), "s.json")
    assert ok[0].delay == 1.0 and ok[0].times == 1


def test_broken_scenario_gives_one_clear_line(sim, tmp_path):
    f = tmp_path / "s.yaml"
    f.write_text("faults: [{tool: nope, effect: crash}]\n")
    sim.use_scenario(f)
    p = sim.run("op", "whoami")
    assert p.returncode == 1 and p.stderr.startswith("k8s-wizard simulator: ") and "Traceback" not in p.stderr


def test_op_inject_and_read(sim):
    tpl = sim.write("secrets.yaml.tpl", "a: {{ op://k8s-ops/cloudflare/api_token }}\nb: op://k8s-ops/item/section/field\n")
    out = sim.ok("op", "inject", "-i", str(tpl)).stdout
    a, b = (ln.split(": ")[1] for ln in out.splitlines())
    assert a.startswith("sim-") and b.startswith("sim-") and a != b and "op://" not in out
    assert sim.ok("op", "read", "op://k8s-ops/cloudflare/api_token").stdout.strip() == a  # deterministic
    dest = sim.root / "secrets.yaml"
    sim.ok("op", "inject", "-i", str(tpl), "-o", str(dest))
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600 and dest.read_text() == out
    again = sim.run("op", "inject", "-i", str(tpl), "-o", str(dest))
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = sim.run("op", "read", "op://vault-only")
    assert bad.returncode == 1 and "invalid secret reference" in bad.stderr


def test_git_remote_is_simulated_and_local_commands_pass_through(sim):
    heads = sim.ok("git", "ls-remote", "--heads", GIT_URL.replace("ssh://git@github.com/", "git@github.com:")).stdout
    assert heads.split("\t")[1].strip() == "refs/heads/release" and len(heads.split("\t")[0]) == 40
    other = sim.run("git", "ls-remote", "--heads", "ssh://git@github.com/someone/else.git")
    assert other.returncode == 128 and "Repository not found" in other.stderr
    assert sim.ok("git", "--version").stdout.startswith("git version")  # the real git
    calls = [e for e in read_events(sim.state) if e["tool"] == "git"]
    assert [e["sub"] for e in calls] == ["ls-remote", "ls-remote", "version"]


def test_event_log_redacts_secret_arguments(sim):
    fake_identity = "AGE-SECRET-KEY-1" + "Q" * 58  # built at run time: not key material
    sim.run("kubectl", "create", "secret", "generic", "sops-age", f"--from-literal=age.agekey={fake_identity}")
    sim.run("op", "inject", "--account", f"{begin()} {fake_identity}")
    text = Path(str(sim.state).replace("state.json", "state.events.jsonl")).read_text()
    assert "AGE-SECRET-KEY" not in text and "BEGIN PRIVATE" not in text and "<redacted>" in text


def test_kubectl_kustomize_runs_the_real_kubectl(sim, tmp_path):
    real = Path(sys.executable).parent / "kubectl"
    if not real.exists():
        pytest.skip("the real kubectl of the venv is not installed")
    sim.env["PATH"] = sim.env["PATH"] + os.pathsep + str(real.parent)
    d = sim.write("k/kustomization.yaml", "resources: [cm.yaml]\n").parent
    (d / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {a: b}\n")
    out = sim.ok("kubectl", "kustomize", str(d)).stdout
    assert "kind: ConfigMap" in out and "name: c" in out


def test_init_state_rejects_bad_nodes_and_keeps_state_with_exist_ok(tmp_path):
    from wizard.sim import init_state

    with pytest.raises(ValueError, match="role"):
        init_state(tmp_path / "s.json", cluster="c", vip="10.0.0.10",
                   nodes=[{"hostname": "a", "address": "10.0.0.11", "role": "master"}])
    with pytest.raises(ValueError, match="controlplane node is required"):
        init_state(tmp_path / "s.json", cluster="c", vip="10.0.0.10",
                   nodes=[{"hostname": "a", "address": "10.0.0.11", "role": "worker"}])
    first = init_state(tmp_path / "s.json", cluster="c", vip="10.0.0.10",
                       nodes=[{"hostname": "a", "address": "10.0.0.11", "role": "controlplane"}])
    again = init_state(tmp_path / "s.json", cluster="other", vip="10.0.0.10", exist_ok=True,
                       nodes=[{"hostname": "a", "address": "10.0.0.11", "role": "controlplane"}])
    assert again["cluster"] == "c" and again["created_at"] == first["created_at"]
