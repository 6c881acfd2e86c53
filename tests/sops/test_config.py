""".sops.yaml lookup and matching like sops, cluster rule merging, the talsecret trap, the guard."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from wizard.sops import CryptRule, SopsError, encrypt
from wizard.sops.config import (check_cluster_rules, cluster_rule_regexes, find_config, load_config,
                                merge_cluster_rules, verify_written)

R1 = "age1j3hsfptdfsfwvkf504etjkrtmajny9csrfh5s24uqh6fchmg5dgqg087ek"

TRAP = f"""\
creation_rules:
  # planned by the operator
  - path_regex: clusters/infra/.*\\.sops\\.ya?ml$
    encrypted_regex: ^(data|stringData)$
    age: {R1}
  - path_regex: .*\\.sops\\.yaml$
    age: {R1}
"""


def test_find_config_walks_up_from_cwd_and_ignores_yml(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / ".sops.yml").write_text("creation_rules: []\n")
    assert find_config(tmp_path / "a" / "b", env={}) is None
    (tmp_path / ".sops.yaml").write_text("creation_rules: []\n")
    assert find_config(tmp_path / "a" / "b", env={}) == tmp_path / ".sops.yaml"
    assert find_config(tmp_path, env={"SOPS_CONFIG": "/x/y.yaml"}) == Path("/x/y.yaml")


def test_rule_for_first_match_relative_to_config_dir(tmp_path, age_key, second_key):
    (tmp_path / ".sops.yaml").write_text(
        "creation_rules:\n"
        f"  - path_regex: ^talos/\n    mac_only_encrypted: true\n    age: {age_key[1]}\n"
        f"  - path_regex: \\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: >-\n      {age_key[1]},\n      {second_key[1]}\n"
        f"  - key_groups:\n      - age:\n          - {second_key[1]}\n"
        "stores:\n  yaml:\n    indent: 2\n")
    cfg = load_config(tmp_path / ".sops.yaml")
    talos = cfg.rule_for(tmp_path / "talos" / "talsecret.sops.yaml")
    assert talos.recipients == [age_key[1]] and talos.crypt == CryptRule(mac_only_encrypted=True) and talos.indent == 2
    other = cfg.rule_for(tmp_path / "x" / "s.sops.yaml")
    assert other.recipients == [age_key[1], second_key[1]] and other.crypt.kind == "encrypted_regex"
    assert cfg.rule_for(tmp_path / "plain.yaml").recipients == [second_key[1]]  # catch-all key_groups rule
    # a path outside the config folder is seen absolute, so ^talos/ does not match it
    assert cfg.rule_for(tmp_path.parent / "talos" / "x.sops.yaml").recipients == [age_key[1], second_key[1]]


def test_no_matching_rule_and_bad_configs(tmp_path):
    cfg_file = tmp_path / ".sops.yaml"
    cfg_file.write_text(f"creation_rules:\n  - path_regex: ^nomatch$\n    age: {R1}\n")
    with pytest.raises(SopsError, match="no matching creation rules found") as err:
        load_config(cfg_file).rule_for(tmp_path / "x.yaml")
    assert err.value.exit_code == 1
    cfg_file.write_text(f"creation_rules:\n  - age: {R1}\n    encrypted_regex: a\n    unencrypted_regex: b\n")
    with pytest.raises(SopsError, match="more than one"):
        load_config(cfg_file).rule_for(tmp_path / "x.yaml")
    cfg_file.write_text("creation_rules: [\n")
    with pytest.raises(SopsError, match="not valid YAML"):
        load_config(cfg_file)
    with pytest.raises(SopsError, match="could not read"):
        load_config(tmp_path / "missing.yaml")


def test_merge_keeps_comments_order_and_is_idempotent(seed_repo):
    text = (seed_repo / ".sops.yaml").read_text()
    merged = merge_cluster_rules(text, "apps", [R1])
    assert merge_cluster_rules(merged, "apps", [R1]) == merged
    for line in text.splitlines():
        if line.strip().startswith("#"):
            assert line in merged.splitlines()
    rules = load_config_text(merged)
    assert [r["path_regex"] for r in rules][-1] == ".*\\.sops\\.yaml$"  # the catch-all stays last
    assert rules[0]["path_regex"] == "clusters/apps/talos/.*\\.sops\\.ya?ml$" and "encrypted_regex" not in rules[0]
    assert rules[1]["encrypted_regex"] == "^(data|stringData)$"
    assert check_cluster_rules(merged, "apps") == []
    both = merge_cluster_rules(merged, "infra", [R1])
    assert [r["path_regex"] for r in load_config_text(both)][:2] == [rules[0]["path_regex"], rules[1]["path_regex"]]
    assert check_cluster_rules(both, "infra") == [] and check_cluster_rules(both, "apps") == []


def test_merge_keeps_each_comment_with_its_rule(shared_dir, tool_env, tmp_path):
    """On the seed's .sops.yaml: header comments stay on top, the catch-all keeps its two comments,
    each new rule gets its own, order is specific -> catch-all, and a second merge changes nothing."""
    text = (shared_dir / "fixtures/k8s-ops/.sops.yaml").read_text()
    merged = merge_cluster_rules(merge_cluster_rules(text, "infra", [R1]), "apps", [R1])
    assert merge_cluster_rules(merged, "apps", [R1]) == merged and merge_cluster_rules(merged, "infra", [R1]) == merged
    assert merged.startswith(text[: text.index("creation_rules:")] + "creation_rules:\n")
    lines = merged.splitlines()
    it = iter(lines)
    assert all(line in it for line in text.splitlines())  # every original line kept, in order
    catch_all = lines.index("  - path_regex: .*\\.sops\\.yaml$")
    assert lines[catch_all - 2: catch_all] == [
        "  # Single rule for all encrypted files (all use same AGE key)",
        "  # Project standardizes on .yaml extension per .editorconfig"]
    rules = load_config_text(merged)
    talos, k8s = {c: cluster_rule_regexes(c)[0] for c in ("infra", "apps")}, {c: cluster_rule_regexes(c)[1] for c in ("infra", "apps")}
    assert [r["path_regex"] for r in rules] == [talos["infra"], k8s["infra"], talos["apps"], k8s["apps"], ".*\\.sops\\.yaml$"]
    for cluster in ("infra", "apps"):
        for regex, note in ((talos[cluster], "Talos secrets, whole file"), (k8s[cluster], "Kubernetes Secrets, data/stringData only")):
            at = next(n for n, line in enumerate(lines) if line.startswith("  - path_regex: ") and line.endswith(regex))
            assert lines[at - 1].startswith(f"  # {cluster}: {note}")
        assert check_cluster_rules(merged, cluster) == []
    # the seed's own yamllint config accepts the result
    (tmp_path / ".sops.yaml").write_text(merged)
    lint = subprocess.run(["yamllint", "-c", str(shared_dir / "fixtures/k8s-ops/.yamllint.yaml"), ".sops.yaml"],
                          cwd=tmp_path, env=tool_env, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("start", ["", "creation_rules: []  # none yet\nstores:\n  yaml:\n    indent: 2\n",
                                   "creation_rules:\n- path_regex: ^other/\n  age: age1x\nstores: {}\n",
                                   "creation_rules: [{path_regex: ^other/, age: age1x}]\n"])
def test_merge_into_empty_unindented_and_flow_lists(start):
    merged = merge_cluster_rules(start, "c1", [R1])
    assert merge_cluster_rules(merged, "c1", [R1]) == merged
    rules = load_config_text(merged)
    assert [r["path_regex"] for r in rules][-2:] == list(cluster_rule_regexes("c1"))
    assert check_cluster_rules(merged, "c1") == []
    if "[{" not in start:  # block lists are edited as text: the new rules carry their comments
        assert "# c1: Talos secrets" in merged and "# c1: Kubernetes Secrets" in merged
        assert all(line in merged.splitlines() for line in start.splitlines() if "[]" not in line)


def load_config_text(text: str) -> list[dict]:
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(text)["creation_rules"]


def test_talsecret_trap_is_explained_and_fixed_by_merge():
    problems = check_cluster_rules(TRAP, "infra")
    assert len(problems) == 1
    assert "talsecret.sops.yaml" in problems[0] and "encrypted_regex" in problems[0] and "plaintext" in problems[0]
    fixed = merge_cluster_rules(TRAP, "infra", [R1])
    lines = fixed.splitlines()
    planned = lines.index("  # planned by the operator")
    assert lines[planned + 1] == "  - path_regex: clusters/infra/.*\\.sops\\.ya?ml$"  # still above its rule
    assert lines[planned - 4].startswith("  # infra: Kubernetes Secrets")  # the new rules come before it
    assert check_cluster_rules(fixed, "infra") == []
    assert check_cluster_rules("creation_rules: []\n", "infra")[0].startswith("no creation rule matches")


def test_rule_for_matches_what_sops_picks(tmp_path, age_key, run_sops):
    """The same config decides the same way in sops: whole-file for talos, data-only for flux."""
    text = merge_cluster_rules(f"creation_rules:\n  - path_regex: .*\\.sops\\.yaml$\n    age: {age_key[1]}\n", "c1", [age_key[1]])
    (tmp_path / ".sops.yaml").write_text(text)
    cfg = load_config(tmp_path / ".sops.yaml")
    for rel in ("clusters/c1/talos/talsecret.sops.yaml", "bootstrap/c1/github-deploy-key.sops.yaml"):
        f = tmp_path / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("kind: Secret\nstringData:\n    k: v\n")
        theirs = run_sops("-e", rel, cwd=tmp_path).stdout
        rule = cfg.rule_for(f)
        ours = encrypt(f.read_text(), rule.recipients, rule=rule.crypt, indent=rule.indent)
        assert ("kind: Secret" in theirs) == ("kind: Secret" in ours) == ("bootstrap" in rel)


def test_verify_written(tmp_path, age_key, second_key):
    good = tmp_path / "good.sops.yaml"
    good.write_text(encrypt("kind: Secret\nstringData:\n    k: v\n", [age_key[1]], rule=CryptRule("encrypted_regex", "^(data|stringData)$")))
    tal = tmp_path / "talsecret.sops.yaml"
    tal.write_text(encrypt("cluster:\n    secret: s\n", [age_key[1]], rule=CryptRule("encrypted_regex", "^(data|stringData)$")))
    plain = tmp_path / "plain.sops.yaml"
    plain.write_text("kind: Secret\n")
    other = tmp_path / "other.sops.yaml"
    other.write_text(encrypt("a: 1\n", [second_key[1]]))
    assert verify_written([good], [age_key[0]]) == []
    problems = verify_written([good, tal, plain, other, tmp_path / "missing"], [age_key[0]])
    assert len(problems) == 4
    assert "talsecret.sops.yaml" in problems[0] and "not encrypted" in problems[0]
    assert "plain.sops.yaml: not sops-encrypted" in problems[1]
    assert "other.sops.yaml" in problems[2] and "data key" in problems[2]
    assert "missing" in problems[3]
