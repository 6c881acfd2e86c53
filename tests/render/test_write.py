"""Plan and transactional write: re-runs change nothing, failures leave the repo as it was,
secrets are reused (never regenerated), collisions are refused, and bad answers exit 2."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import wizard.plan
from tests.render.conftest import answers, run_cli, snapshot, write_answers


def new_cluster(repo: Path, data: dict, tmp: Path, *extra: str) -> tuple[int, str, str]:
    f = write_answers(tmp / f"{data['cluster']['name']}-{len(list(tmp.glob('*.yaml')))}.yaml", data)
    return run_cli("new-cluster", "--answers", str(f), "--yes", "--repo", str(repo), *extra)


def test_second_run_changes_nothing(built_copy, tmp_path):
    before = snapshot(built_copy)
    for name in ("infra", "apps"):
        rc, out, err = new_cluster(built_copy, answers(name), tmp_path)
        assert rc == 0, err
        assert "0 to create, 0 to update" in out and "nothing to write" in out
    assert snapshot(built_copy) == before  # bytes and mtimes
    assert not (built_copy / ".k8s-wizard").exists()


def test_changed_answer_updates_only_what_it_touches(built_copy, tmp_path):
    data = answers("apps")
    data["network"]["mtu"] = 1500
    before = snapshot(built_copy)
    rc, out, err = new_cluster(built_copy, data, tmp_path)
    assert rc == 0, err
    after = snapshot(built_copy)
    changed = {p for p in after if after[p] != before.get(p)}
    assert changed == {"clusters/apps/talos/talconfig.yaml", "clusters/apps/apps/kube-system/cilium/helmrelease.yaml",
                       "clusters/apps/cluster-answers.yaml"}
    # the secrets were re-encrypted from the same plaintext: byte-identical
    assert after["clusters/apps/talos/talsecret.sops.yaml"][0] == before["clusters/apps/talos/talsecret.sops.yaml"][0]


def test_dry_run_prints_the_plan_and_writes_nothing(seed_repo, tmp_path):
    before = snapshot(seed_repo)
    rc, out, err = new_cluster(seed_repo, answers("apps"), tmp_path, "--dry-run")
    assert rc == 0, err
    assert snapshot(seed_repo) == before
    assert "+ create    clusters/apps/talos/talsecret.sops.yaml (encrypted)" in out
    assert "+++ b/clusters/apps/flux/cluster-vars.yaml" in out and "dry run: nothing written" in out
    # secrets appear only as ciphertext
    assert "PRIVATE KEY" not in out and "ENC[AES256_GCM," in out
    assert "replaces placeholder task bootstrap:apps (it only echoed" in out


def test_invalid_answers_exit_2_naming_field_and_line(seed_repo, tmp_path):
    data = answers("apps")
    data["network"]["podCidr"] = "10.44.0.5/16"
    data["nodes"][2]["adress"] = "10.25.13.13"
    f = write_answers(tmp_path / "bad.yaml", data)
    rc, out, err = run_cli("new-cluster", "--answers", str(f), "--yes", "--repo", str(seed_repo))
    assert rc == 2
    line = next(n for n, text in enumerate(f.read_text().splitlines(), 1) if "adress" in text)
    assert f"line {line}" in err and "nodes.2.adress" in err
    assert snapshot(seed_repo).keys() == snapshot(seed_repo).keys() and not (seed_repo / "clusters/apps/talos/talconfig.yaml").exists()


def test_semantic_error_exit_2_with_line(seed_repo, tmp_path):
    data = answers("apps")
    data["network"]["mtu"] = 20000
    f = write_answers(tmp_path / "mtu.yaml", data)
    rc, out, err = run_cli("new-cluster", "--answers", str(f), "--yes", "--repo", str(seed_repo))
    assert rc == 2
    line = next(n for n, text in enumerate(f.read_text().splitlines(), 1) if "mtu:" in text)
    assert "network.mtu" in err and f"line {line}" in err
    assert not (seed_repo / "clusters/apps/talos").joinpath("talconfig.yaml").exists()


@pytest.mark.parametrize("exc", [OSError("disk full"), KeyboardInterrupt()])
def test_failure_mid_write_leaves_the_repo_unchanged(built_copy, tmp_path, monkeypatch, exc):
    data = answers("apps")
    data["cluster"]["domain"] = "monosense.io"  # several files change
    data["network"]["mtu"] = 1500
    before = snapshot(built_copy)
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise exc
        return real(src, dst)

    monkeypatch.setattr(wizard.plan.os, "replace", flaky)
    rc, out, err = new_cluster(built_copy, data, tmp_path)
    assert len(calls) >= 3
    assert rc == (130 if isinstance(exc, KeyboardInterrupt) else 1)
    assert snapshot(built_copy) == before
    assert not (built_copy / ".k8s-wizard").exists()


def test_failure_on_a_new_cluster_removes_what_it_created(seed_repo, tmp_path, monkeypatch):
    before = snapshot(seed_repo)
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 20:
            raise OSError("boom")
        return real(src, dst)

    monkeypatch.setattr(wizard.plan.os, "replace", flaky)
    rc, out, err = new_cluster(seed_repo, answers("apps"), tmp_path)
    assert rc == 1 and "left as it was" in err
    assert snapshot(seed_repo) == before
    assert not (seed_repo / "clusters/apps/flux/config").exists() and not (seed_repo / "bootstrap/apps/helmfile.d/01-apps.yaml").exists()


def test_missing_key_with_existing_talsecret_exits_1_untouched(built_copy, tmp_path, monkeypatch):
    other = tmp_path / "other-keys.txt"
    import pyrage

    other.write_text(f"{pyrage.x25519.Identity.generate()}\n")
    monkeypatch.setenv("SOPS_AGE_KEY_FILE", str(other))
    before = snapshot(built_copy)
    rc, out, err = new_cluster(built_copy, answers("apps"), tmp_path)
    assert rc == 1
    assert "talsecret.sops.yaml exists but cannot be decrypted" in err and "never regenerated" in err
    assert snapshot(built_copy) == before
    monkeypatch.delenv("SOPS_AGE_KEY_FILE")
    rc, out, err = new_cluster(built_copy, answers("apps"), tmp_path)
    assert rc == 1 and "cannot be decrypted" in err
    assert snapshot(built_copy) == before


def test_different_cluster_with_the_same_name_needs_force(built_copy, tmp_path):
    data = answers("apps")
    data["cluster"]["id"] = 7
    before = snapshot(built_copy)
    rc, out, err = new_cluster(built_copy, data, tmp_path)
    assert rc == 1 and "already holds a different cluster (id 2 -> 7)" in err and "--force" in err
    assert snapshot(built_copy) == before
    rc, out, err = new_cluster(built_copy, data, tmp_path, "--force")
    assert rc == 0, err
    assert 'CLUSTER_ID: "7"' in (built_copy / "clusters/apps/flux/cluster-vars.yaml").read_text()


def test_real_task_is_not_clobbered_without_force(seed_repo, tmp_path):
    tf = seed_repo / ".taskfiles/bootstrap/Taskfile.yaml"
    tf.write_text(tf.read_text().replace('echo "TODO - bootstrap apps for {{.CLUSTER}}"', "helmfile -f bootstrap/apps sync"))
    rc, out, err = new_cluster(seed_repo, answers("apps"), tmp_path)
    assert rc == 1 and "task 'apps' already exists and does real work (helmfile -f bootstrap/apps sync)" in err
    assert not (seed_repo / "clusters/apps/talos/talconfig.yaml").exists()
    rc, out, err = new_cluster(seed_repo, answers("apps"), tmp_path, "--force")
    assert rc == 0, err
    assert "replaces task bootstrap:apps (--force; it ran: helmfile -f bootstrap/apps sync)" in out


def test_placeholder_replaced_rest_of_taskfile_kept(built):
    repo, _, _ = built
    text = (repo / ".taskfiles/bootstrap/Taskfile.yaml").read_text()
    assert 'echo "TODO - bootstrap talos for {{.CLUSTER}}"' in text  # the other placeholder is kept
    assert "TODO - bootstrap apps" not in text
    assert text.count("k8s-wizard bootstrap apps {{.CLI_ARGS}}") == 1 and "k8s-wizard bootstrap infra" in text
    assert "\n\n  infra:\n" in text  # blank line between tasks, like the rest of the file
    root = (repo / "Taskfile.yaml").read_text()
    assert root == (Path(wizard.plan.__file__).parents[1] / "wizard/sample/repo/Taskfile.yaml").read_text()


def test_root_include_added_when_missing(seed_repo, tmp_path):
    root = seed_repo / "Taskfile.yaml"
    root.write_text(root.read_text().replace("  bootstrap: .taskfiles/bootstrap\n", ""))
    rc, out, err = new_cluster(seed_repo, answers("apps"), tmp_path)
    assert rc == 0, err
    assert "bootstrap: .taskfiles/bootstrap" in root.read_text() and "adds the include" in out
    proc = subprocess.run([str(Path(sys.executable).parent / "task"), "--list"], cwd=seed_repo, capture_output=True, text=True)
    assert "bootstrap:apps" in proc.stdout, proc.stderr


FAKE_TALHELPER = r"""#!/bin/sh
# fake talhelper genconfig: one file per node from talconfig.yaml, plus a talosconfig that differs per run
set -e
test "$1" = genconfig
test -f talsecret.yaml && grep -q "cluster:" talsecret.yaml
mkdir -p clusterconfig
for h in $(sed -n 's/^  - hostname: //p' talconfig.yaml); do
  printf 'version: v1alpha1\nmachine:\n  token: %s\n' "$(sed -n 's/^ *token: //p' talsecret.yaml | head -1)" > "clusterconfig/x-$h.yaml"
done
printf 'context: x\ncontexts:\n  x:\n    key: %s\n' "$$-$(date +%s%N)" > clusterconfig/talosconfig
echo x > clusterconfig/.gitignore
"""


def test_talhelper_outputs_are_stored_encrypted(seed_repo, tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "talhelper"
    fake.write_text(FAKE_TALHELPER)
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    rc, out, err = new_cluster(seed_repo, answers("apps"), tmp_path)
    assert rc == 0, err
    made = sorted(p.name for p in (seed_repo / "clusters/apps/talos/clusterconfig").iterdir())
    assert made == ["talosconfig.sops.yaml"] + [f"x-apps-{r}-{i}.sops.yaml" for r in ("cp", "wk") for i in (1, 2, 3)]
    from wizard.sops import decrypt, is_encrypted
    from wizard.sops.keys import find_identities

    for p in (seed_repo / "clusters/apps/talos/clusterconfig").iterdir():
        assert is_encrypted(p.read_bytes())
        assert "machine:" in decrypt(p.read_bytes(), find_identities()) or p.name.startswith("talosconfig")
    assert "talhelper genconfig: 7 file(s) stored encrypted" in out
    before = snapshot(seed_repo)
    rc, out, err = new_cluster(seed_repo, answers("apps"), tmp_path)  # new talosconfig from talhelper: kept the old
    assert rc == 0 and snapshot(seed_repo) == before


def test_without_talhelper_the_run_says_so(built):
    repo, _, _ = built
    assert not (repo / "clusters/apps/talos/clusterconfig").exists()


def test_no_terminal_without_answers_exits_2(seed_repo, monkeypatch):
    monkeypatch.chdir(seed_repo)
    rc, out, err = run_cli("new-cluster")
    assert rc == 2 and "--plain" in err and "--answers" in err
    rc, out, err = run_cli("new-cluster", "--yes")
    assert rc == 2 and "--yes needs --answers" in err


def test_repo_defaults_to_the_git_root(seed_repo, tmp_path, monkeypatch):
    monkeypatch.chdir(seed_repo / "clusters")
    f = write_answers(tmp_path / "a.yaml", answers("apps"))
    rc, out, err = run_cli("new-cluster", "--answers", str(f), "--yes", "--dry-run")
    assert rc == 0, err
    assert f"cluster apps in {seed_repo.resolve()}" in out or f"cluster apps in {seed_repo}" in out


def test_like_fills_what_the_answers_leave_out(built_copy, tmp_path):
    data = answers("apps")
    del data["versions"], data["git"], data["secrets"], data["network"]["bond"], data["network"]["mtu"]
    data["cluster"]["name"], data["cluster"]["id"] = "edge", 3
    data["network"].update(nodeCidr="10.25.15.0/24", gateway="10.25.15.1", vip="10.25.15.10", podCidr="10.46.0.0/16",
                           serviceCidr="10.47.0.0/16", nameservers=["10.25.15.1"])
    data["network"]["bgp"] = {"localAsn": 64514, "peerAddress": "10.25.15.1", "peerAsn": 64501}
    data["nodes"] = [{"hostname": f"edge-{i}", "address": f"10.25.15.{11 + i}", "role": "controlplane"} for i in range(3)]
    f = write_answers(tmp_path / "edge.yaml", data)
    rc, out, err = run_cli("new-cluster", "--answers", str(f), "--yes", "--repo", str(built_copy))
    assert rc == 2 and "git" in err  # without --like the git URL is missing
    rc, out, err = run_cli("new-cluster", "--answers", str(f), "--yes", "--repo", str(built_copy), "--like", "apps")
    assert rc == 0, err
    tal = (built_copy / "clusters/edge/talos/talconfig.yaml").read_text()
    assert "mtu: 9000" in tal and "- enp1s0f0" in tal  # bond and MTU copied from apps
    assert "ssh://git@github.com/monosense-io/k8s-ops.git" in (built_copy / "clusters/edge/flux/flux-system/gitrepository.yaml").read_text()
    rc, out, err = run_cli("new-cluster", "--answers", str(f), "--yes", "--repo", str(built_copy), "--like", "nope")
    assert rc == 2 and "nope" in err


def test_damaged_existing_talsecret_is_refused_not_regenerated(built_copy, tmp_path):
    from wizard.sops import decrypt, encrypt
    from wizard.sops.keys import find_identities, recipient_of

    ids = find_identities()  # the built repo's key (built_copy exports it)
    rel = "clusters/apps/talos/talsecret.sops.yaml"
    path = built_copy / rel
    plain = decrypt(path.read_text(), ids, path=rel)
    damaged = "\n".join(ln for ln in plain.splitlines() if "bootstraptoken" not in ln) + "\n"
    path.write_text(encrypt(damaged, [recipient_of(ids[0])], path=rel))
    before = snapshot(built_copy)
    rc, out, err = new_cluster(built_copy, answers("apps"), tmp_path)
    assert rc == 1
    assert "not a valid Talos secrets bundle" in err and "secrets.bootstraptoken" in err
    assert snapshot(built_copy) == before
