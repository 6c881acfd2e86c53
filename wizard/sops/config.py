"""``.sops.yaml``: lookup and creation-rule matching as sops 3.11 does them, adding a cluster's
rules without losing comments, and guards against rule orders that leave secrets in plaintext."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping as EnvMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wizard.sops import SopsError, normalize_indent
from wizard.sops.codec import RULE_KINDS, CryptRule
from wizard.sops.scalars import format_scalar

CONFIG_NAME = ".sops.yaml"
NO_CONFIG = "config file not found, or has no creation rules, and no keys provided through command line options"
SECRET_KEYS_REGEX = "^(data|stringData)$"
# leaves of a Talos secrets bundle and of a Secret: what must come out encrypted
_TALSECRET_PATHS = (["cluster", "secret"], ["secrets", "bootstraptoken"], ["trustdinfo", "token"], ["certs", "os", "key"])
_SECRET_PATHS = (["stringData", "identity"], ["data", "age.agekey"])


@dataclass(frozen=True)
class CreationRule:
    recipients: list[str]
    crypt: CryptRule
    indent: int
    path_regex: str = ""


@dataclass
class SopsConfig:
    path: Path
    rules: list[dict[str, Any]] = field(default_factory=list)
    indent: int = 4

    def rule_for(self, file: Path) -> CreationRule:
        """The first rule whose ``path_regex`` matches ``file`` relative to the config's folder."""
        if not self.rules:
            raise SopsError(f"{self.path}: {NO_CONFIG}", 1)
        rel = _relative(Path(file), self.path.parent)
        for n, raw in enumerate(self.rules, 1):
            regex = raw.get("path_regex") or ""
            if not regex or re.search(regex, rel):
                return _rule(raw, n, self.path, self.indent)
        raise SopsError(f"{self.path}: error loading config: no matching creation rules found for {rel}", 1)


def _relative(file: Path, folder: Path) -> str:
    """sops strips ``<absolute config dir>/`` from the absolute file path (and nothing else)."""
    absolute = str(Path(os.path.abspath(file)))
    prefix = str(Path(os.path.abspath(folder))).rstrip("/") + "/"
    return absolute[len(prefix):] if absolute.startswith(prefix) else absolute


def _recipients(value: Any) -> list[str]:
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    return [i.strip() for i in items if i and i.strip()]


def _rule(raw: dict[str, Any], n: int, path: Path, indent: int) -> CreationRule:
    where = f"{path}: creation rule #{n}"
    recipients = _recipients(raw.get("age"))
    groups = raw.get("key_groups") or []
    if groups:
        if len(groups) != 1:
            raise SopsError(f"{where}: several key_groups (Shamir) are not supported", 1)
        recipients += [r for r in _recipients(groups[0].get("age")) if r not in recipients]
    kinds = [k for k in (*RULE_KINDS, "unencrypted_comment_regex", "encrypted_comment_regex") if raw.get(k)]
    if len(kinds) > 1:
        raise SopsError(
            f"{where}: cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, "
            "unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex for the same rule", 1)
    if kinds and kinds[0].endswith("comment_regex"):
        raise SopsError(f"{where}: {kinds[0]} is not supported", 1)
    mac_only = bool(raw.get("mac_only_encrypted"))
    try:
        crypt = CryptRule(kinds[0], str(raw[kinds[0]]), mac_only) if kinds else CryptRule(mac_only_encrypted=mac_only)
    except ValueError as exc:
        raise SopsError(f"{where}: {exc}", 1) from None
    return CreationRule(recipients, crypt, indent, raw.get("path_regex") or "")


def find_config(cwd: Path, env: EnvMapping[str, str] = os.environ) -> Path | None:
    """SOPS_CONFIG if set, else the first ``.sops.yaml`` from ``cwd`` upwards (``.sops.yml`` is
    ignored, as sops does)."""
    if env.get("SOPS_CONFIG"):
        return Path(env["SOPS_CONFIG"])
    folder = Path(os.path.abspath(cwd))
    for _ in range(100):
        cand = folder / CONFIG_NAME
        if cand.is_file():
            return cand
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


def _parse(text: str, where: str) -> dict[str, Any]:
    from ruamel.yaml import YAML

    try:
        data = YAML(typ="safe", pure=True).load(text)
    except Exception as exc:
        raise SopsError(f"{where}: error loading config: not valid YAML: {' '.join(str(exc).split())}", 1) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SopsError(f"{where}: error loading config: the file must be a mapping", 1)
    return data


def load_config(path: Path) -> SopsConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SopsError(f"{path}: could not read config file: {exc.strerror}", 1) from None
    data = _parse(text, str(path))
    rules = data.get("creation_rules") or []
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        raise SopsError(f"{path}: error loading config: creation_rules must be a list of mappings", 1)
    indent = ((data.get("stores") or {}).get("yaml") or {}).get("indent") or 0
    return SopsConfig(path, rules, normalize_indent(int(indent), str(path)))


# ---------------------------------------------------------------- cluster rules


def cluster_rule_regexes(cluster: str) -> tuple[str, str]:
    c = re.sub(r"([^A-Za-z0-9_-])", r"\\\1", cluster)  # DNS-style names stay readable
    return (rf"clusters/{c}/talos/.*\.sops\.ya?ml$", rf"(bootstrap/{c}|clusters/{c}/(flux|apps))/.*\.sops\.ya?ml$")


def _samples(cluster: str) -> tuple[list[str], list[str]]:
    return ([f"clusters/{cluster}/talos/talsecret.sops.yaml"],
            [f"bootstrap/{cluster}/github-deploy-key.sops.yaml", f"clusters/{cluster}/flux/config/x.sops.yaml",
             f"clusters/{cluster}/apps/x.sops.yaml"])


def _matches(rule: dict[str, Any], paths: Iterable[str]) -> bool:
    regex = rule.get("path_regex") or ""
    return any(not regex or re.search(regex, p) for p in paths)


def merge_cluster_rules(config_text: str, cluster: str, recipients: Sequence[str]) -> str:
    """Add the cluster's whole-file talos rule and its data/stringData rule before the first rule
    that would otherwise catch those paths; idempotent. The file is edited as text: every existing
    line stays as it is, comments above a rule stay above that rule, and each new rule gets a
    one-line comment saying what it is for."""
    talos_re, k8s_re = cluster_rule_regexes(cluster)
    current = _parse(config_text, ".sops.yaml").get("creation_rules") or []
    have = {r.get("path_regex") for r in current if isinstance(r, dict)}
    if talos_re in have and k8s_re in have:
        return config_text
    age = ",".join(recipients)
    name = " ".join(cluster.split())  # the comment must stay one line
    talos_paths, k8s_paths = _samples(cluster)
    new = []
    if talos_re not in have:
        new.append(([("path_regex", talos_re), ("age", age)], talos_paths,
                     f"{name}: Talos secrets, whole file (talsecret has no data/stringData)"))
    if k8s_re not in have:
        new.append(([("path_regex", k8s_re), ("encrypted_regex", SECRET_KEYS_REGEX), ("age", age)], k8s_paths,
                     f"{name}: Kubernetes Secrets, data/stringData only"))
    text = config_text
    for fields, paths, note in new:
        rules = _parse(text, ".sops.yaml").get("creation_rules") or []
        pos = next((i for i, r in enumerate(rules) if isinstance(r, dict) and _matches(r, paths)), len(rules))
        if fields[0][1] == k8s_re:  # keep the talos rule first when both are new
            pos = max(pos, next((i + 1 for i, r in enumerate(rules) if isinstance(r, dict) and r.get("path_regex") == talos_re), 0))
        layout = _rules_layout(text, len(rules))
        if layout is None:  # flow-style rules: ruamel rewrites the list (no comments for new rules)
            text = _insert_with_ruamel(text, dict(fields), pos)
            continue
        lines, items, dash, key_col, end = layout
        pad = " " * dash
        block = [f"{pad}# {note}\n"]
        for n, (key, value) in enumerate(fields):
            lead = pad + "- " + " " * (key_col - dash - 2) if n == 0 else " " * key_col
            block.append(f"{lead}{key}: {format_scalar(value)}\n")
        at = _comment_block_start(lines, items[pos]) if pos < len(items) else end + 1
        text = "".join(lines[:at] + block + lines[at:])
    return text


def _rules_layout(text: str, count: int) -> tuple[list[str], list[int], int, int, int] | None:
    """(lines, line of each rule's ``-``, dash column, key column, last line of the list) for a
    block-style ``creation_rules`` list of ``count`` rules; the key is added when missing and an
    empty ``[]``/``null`` value is opened up. None when the list is not block style."""
    if text and not text.endswith("\n"):
        text += "\n"
    lines = text.splitlines(keepends=True)
    head = next((n for n, line in enumerate(lines) if re.match(r"creation_rules\s*:", line)), None)
    if head is None:
        if count:
            return None
        lines.append("creation_rules:\n")
        return lines, [], 2, 4, len(lines) - 1
    inline = re.match(r"creation_rules\s*:[ \t]*([^#\s][^#]*?)?[ \t]*(#.*)?$", lines[head].rstrip("\n"))
    if inline is None:
        return None
    if inline.group(1):
        if count or inline.group(1) not in ("[]", "null", "~"):
            return None
        lines[head] = "creation_rules:" + (f" {inline.group(2)}" if inline.group(2) else "") + "\n"
    items: list[int] = []
    dash, end = -1, head
    for n in range(head + 1, len(lines)):
        body = lines[n].rstrip("\n")
        stripped = body.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(body) - len(stripped)
        is_item = stripped == "-" or stripped.startswith("- ")
        if dash < 0:
            if not is_item:
                break
            dash = indent
        if indent < dash or indent == dash and not is_item:
            break
        if indent == dash:
            items.append(n)
        end = n
    if len(items) != count:
        return None  # something unusual (multi-line quoted values, odd indentation): let ruamel do it
    if not items:
        return lines, [], 2, 4, end
    first = lines[items[0]].rstrip("\n")[dash + 1:]
    key_col = dash + 1 + len(first) - len(first.lstrip(" ")) if first.strip() else dash + 2
    return lines, items, dash, key_col, end


def _comment_block_start(lines: list[str], item: int) -> int:
    """The first of the comment lines directly above line ``item`` (they describe that rule)."""
    n = item
    while n > 0 and lines[n - 1].lstrip(" ").startswith("#"):
        n -= 1
    return n


def _insert_with_ruamel(text: str, rule: dict[str, str], pos: int) -> str:
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML()  # round-trip: keeps comments, quoting and key order
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    doc = yaml.load(text) if text.strip() else None
    if doc is None:
        doc = CommentedMap()
    rules = doc.get("creation_rules")
    if rules is None:
        rules = doc["creation_rules"] = CommentedSeq()
    rules.insert(pos, CommentedMap(rule.items()))
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def check_cluster_rules(config_text: str, cluster: str) -> list[str]:
    """Why this rule order would leave the cluster's secrets in plaintext (empty list: fine)."""
    rules = _parse(config_text, ".sops.yaml").get("creation_rules") or []
    problems = []
    talos_paths, k8s_paths = _samples(cluster)
    for sample, leaves in ((talos_paths[0], _TALSECRET_PATHS), (k8s_paths[0], _SECRET_PATHS), (k8s_paths[1], _SECRET_PATHS)):
        idx = next((i for i, r in enumerate(rules) if isinstance(r, dict) and _matches(r, [sample])), None)
        if idx is None:
            problems.append(f"no creation rule matches {sample}: sops (and k8s-wizard) will refuse to encrypt it")
            continue
        try:
            rule = _rule(rules[idx], idx + 1, Path(".sops.yaml"), 4)
        except SopsError as exc:
            problems.append(str(exc))
            continue
        plain = [".".join(p) for p in leaves if not rule.crypt.encrypts(p)]
        if plain:
            problems.append(
                f"creation rule #{idx + 1} (path_regex {rules[idx].get('path_regex') or '<any>'!r}) is the first to match "
                f"{sample}, and its {rule.crypt.kind} {rule.crypt.value!r} leaves {', '.join(plain)} in plaintext; "
                f"put a rule for {cluster_rule_regexes(cluster)[0 if 'talos' in sample else 1]!r} without it before rule #{idx + 1}"
            )
        if not rule.recipients:
            problems.append(f"creation rule #{idx + 1} matches {sample} but lists no age recipients")
    return problems


def verify_written(paths: Iterable[Path], identities: Sequence[str]) -> list[str]:
    """After-write guard: every file decrypts with ``identities`` and its secrets are ciphertext
    (all of data/stringData in a Secret; every value in a file without those keys)."""
    from wizard.sops import decrypt_documents, is_encrypted
    from wizard.sops.codec import iter_leaves
    from wizard.sops.yamlfmt import Comment, YamlError, load_documents

    problems = []
    for path in paths:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(f"{path}: cannot read it ({exc.strerror})")
            continue
        if not is_encrypted(raw):
            problems.append(f"{path}: not sops-encrypted")
            continue
        try:
            decrypt_documents(raw, identities, path=str(path))
            docs = load_documents(raw.decode("utf-8"))
        except (SopsError, YamlError) as exc:
            problems.append(str(exc))
            continue
        for n, doc in enumerate(docs):
            body = [i for i in doc if isinstance(i, tuple) and i[0] != "sops"]
            secret = [v for k, v in body if k in ("data", "stringData")]
            scope = secret if secret else [v for _, v in body]
            plain = [v for v in iter_leaves(scope)
                     if not (isinstance(v, Comment) or isinstance(v, str) and (v == "" or v.startswith("ENC[AES256_GCM,")))]
            if plain:
                where = "data/stringData" if secret else "the file"
                problems.append(f"{path}: document {n + 1}: {len(plain)} value(s) in {where} are not encrypted")
    return problems
