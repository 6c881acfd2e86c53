"""One validation finding: which field, what is wrong and how to fix it, and where in the YAML."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    #: Dotted camelCase path in the answers file, list indices as numbers: ``nodes.2.address``.
    field: str
    #: What is wrong and the fix, in one sentence or two.
    message: str
    severity: Severity = "error"
    line: int | None = None
    column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def at(self, line: int | None, column: int | None) -> Finding:
        return replace(self, line=line, column=column)

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}: " if self.line else ""
        tag = "" if self.is_error else "warning: "
        return f"{where}{tag}{self.field}: {self.message}"


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]
