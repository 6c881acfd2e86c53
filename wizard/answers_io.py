"""Load and save the answers file: YAML 1.2 (ruamel), pydantic model, errors with line and column."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from wizard.findings import Finding
from wizard.spec import ClusterAnswers


class AnswersError(Exception):
    """The answers file cannot be used; ``findings`` says where and why."""

    def __init__(self, source: str, findings: list[Finding]):
        self.source = source
        self.findings = findings
        lines = "\n".join(f"  {f}" for f in findings)
        super().__init__(f"{source}: invalid answers:\n{lines}")


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    return y


def locate(doc: Any, field: str) -> tuple[int | None, int | None]:
    """1-based (line, column) of ``field`` (``nodes.1.address``) in a ruamel round-trip doc.

    Walks as deep as the path exists; a missing leaf is reported at its parent's position.
    """
    line = col = None
    node = doc
    for part in field.split("."):
        if isinstance(node, CommentedMap) and part in node:
            pos = node.lc.key(part)
            line, col = pos[0] + 1, pos[1] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and part.isdigit() and int(part) < len(node):
            pos = node.lc.item(int(part))
            line, col = pos[0] + 1, pos[1] + 1
            node = node[int(part)]
        else:
            break
    return line, col


def _loc_to_field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc)


def parse_answers(text: str, source: str = "<answers>") -> tuple[ClusterAnswers, Any]:
    """Parse answers YAML into the model. Returns (answers, ruamel doc for locating findings).

    Raises AnswersError with one finding per problem (never a traceback).
    """
    try:
        doc = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        raise AnswersError(source, [Finding("(file)", f"not valid YAML: {exc.problem}", line=line, column=col)]) from None
    if not isinstance(doc, CommentedMap):
        raise AnswersError(source, [Finding("(file)", "must be a YAML mapping starting with 'apiVersion: k8s-wizard/v1'")])
    try:
        answers = ClusterAnswers.model_validate(_plain(doc))
    except ValidationError as exc:
        findings = []
        for err in exc.errors():
            field = _loc_to_field(err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field; remove it or check its spelling (fields are camelCase)"
            elif err["type"] == "missing":
                msg = "required field is missing"
            line, col = locate(doc, field)
            findings.append(Finding(field, msg, line=line, column=col))
        raise AnswersError(source, findings) from None
    return answers, doc


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def load_answers(path: Path) -> tuple[ClusterAnswers, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AnswersError(str(path), [Finding("(file)", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AnswersError(str(path), [Finding("(file)", "is not UTF-8 text")]) from None
    return parse_answers(text, str(path))


def locate_findings(findings: list[Finding], doc: Any) -> list[Finding]:
    """Attach YAML positions to findings produced by ``wizard.validation`` (if a doc is known)."""
    if doc is None:
        return findings
    return [f if f.line else f.at(*locate(doc, f.field)) for f in findings]


def dump_answers(answers: ClusterAnswers) -> str:
    """Canonical answers YAML (what the TUI saves and what is stored with the cluster)."""
    y = YAML(typ="rt")
    y.default_flow_style = False
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    y.dump(answers.to_yaml_dict(), buf)
    return buf.getvalue()
