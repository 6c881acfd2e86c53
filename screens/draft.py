"""The wizard's immutable draft: every answer as the text the operator sees, convertible to ClusterAnswers.

Screens never hold state of their own: each one receives a ``Draft``, shows its values, and returns a
new ``Draft`` (``with_values`` / ``with_nodes``). Values are kept as text so that a half-typed or invalid
entry survives Back/Next exactly as typed; ``to_answers`` turns them into the core model that the headless
``--answers`` path uses, so both paths write the same tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from wizard.findings import Finding

if TYPE_CHECKING:  # pydantic loads when answers are first built, after the first paint
    from wizard.spec import ClusterAnswers

#: Text fields holding comma-separated lists.
LIST_FIELDS = frozenset({
    "network.nameservers", "network.bond.interfaces", "network.bond.deviceSelectors", "secrets.ageRecipients",
})
#: Text fields holding whole numbers.
INT_FIELDS = frozenset({
    "cluster.id", "network.mtu", "network.vlan", "network.bond.miimon", "network.bgp.localAsn", "network.bgp.peerAsn",
})
NODE_FIELDS = ("hostname", "address", "role", "installDisk", "interface", "macs")
#: Bond keys whose model default is not None: an emptied field must become an explicit null.
_NULLABLE_BOND = ("lacpRate", "miimon", "xmitHashPolicy")
BOND_DEFAULTS = {"mode": "802.3ad", "lacpRate": "fast", "miimon": "100", "xmitHashPolicy": "layer3+4"}


def _freeze(values: Mapping[str, str]) -> Mapping[str, str]:
    return MappingProxyType(dict(values))


@dataclass(frozen=True)
class Draft:
    """Answers in progress. ``values``: dotted camelCase path -> text; ``nodes``: one mapping per node."""

    values: Mapping[str, str] = field(default_factory=lambda: _freeze({}))
    nodes: tuple[Mapping[str, str], ...] = ()
    #: "scratch" or the name of the cluster the answers were copied from.
    like: str = "scratch"
    #: Bond on/off (the bond fields keep their text while it is off).
    bond: bool = False
    #: Where the age recipients come from: "repo" (.sops.yaml), "list" (typed), "generated" (new key).
    age_source: str = "repo"
    #: Path of a key file the wizard generated (shown on the secrets screen; never its content).
    generated_key_file: str = ""
    #: Values the screens do not edit but must keep (git.knownHosts).
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, path: str, default: str = "") -> str:
        return self.values.get(path, default)

    def with_values(self, **updates: str) -> Draft:
        """New draft with ``path=value`` updates (use ``**{"cluster.name": "apps"}``)."""
        merged = dict(self.values)
        merged.update({k: str(v) for k, v in updates.items()})
        return replace(self, values=_freeze(merged))

    def with_nodes(self, nodes: list[Mapping[str, str]] | tuple[Mapping[str, str], ...]) -> Draft:
        return replace(self, nodes=tuple(_freeze({k: str(n.get(k, "") or "") for k in NODE_FIELDS}) for n in nodes))

    def evolve(self, **changes: Any) -> Draft:
        return replace(self, **changes)

    @property
    def name(self) -> str:
        return self.get("cluster.name")

    # ---- conversion ------------------------------------------------------------------------------
    @classmethod
    def from_answers(cls, answers: ClusterAnswers | Mapping[str, Any], *, like: str = "scratch") -> Draft:
        data = dict(answers) if isinstance(answers, Mapping) else answers.to_yaml_dict()
        values: dict[str, str] = {}
        _flatten("", {k: v for k, v in data.items() if k not in ("nodes", "apiVersion", "kind")}, values)
        bond = "network.bond.mode" in values or any(k.startswith("network.bond.") for k in values)
        if bond:
            for key in _NULLABLE_BOND:  # present in the dump only when set; absent means null
                values.setdefault(f"network.bond.{key}", "")
        else:  # the model's defaults, shown when the operator switches the bond on
            for key, default in BOND_DEFAULTS.items():
                values.setdefault(f"network.bond.{key}", default)
        extra = {}
        if "git.knownHosts" in values:
            extra["git.knownHosts"] = values.pop("git.knownHosts")
        nodes = []
        for n in data.get("nodes") or []:
            row = {k: "" for k in NODE_FIELDS}
            for k, v in n.items():
                row[k] = ", ".join(map(str, v)) if isinstance(v, list) else ("" if v is None else str(v))
            nodes.append(row)
        age = "list" if values.get("secrets.ageRecipients") else "repo"
        return cls(values=_freeze(values), like=like, bond=bond, age_source=age,
                   extra=MappingProxyType(extra)).with_nodes(nodes)

    def to_data(self) -> tuple[dict[str, Any], list[Finding]]:
        """The answers mapping (camelCase) and findings for text that is not a number where one is needed."""
        problems: list[Finding] = []
        data: dict[str, Any] = {"apiVersion": "k8s-wizard/v1", "kind": "ClusterAnswers"}
        for path, text in sorted(self.values.items()):
            if path.startswith("network.bond.") and not self.bond:
                continue
            if path == "secrets.ageRecipients" and self.age_source == "repo":
                continue  # empty list = "the recipients of the repo's .sops.yaml"
            value = _convert(path, text.strip(), problems)
            if value is None:
                if path.startswith("network.bond.") and path.rsplit(".", 1)[1] in _NULLABLE_BOND:
                    _put(data, path, None)
                continue
            _put(data, path, value)
        for path, value in self.extra.items():
            _put(data, path, value)
        nodes = []
        for i, n in enumerate(self.nodes):
            row: dict[str, Any] = {}
            for key in NODE_FIELDS:
                text = (n.get(key) or "").strip()
                if key == "macs":
                    if text:
                        row[key] = _split(text)
                elif text:
                    row[key] = text
            nodes.append(row)
        data["nodes"] = nodes
        return data, problems

    def to_answers(self) -> tuple[ClusterAnswers | None, list[Finding]]:
        """The model (or None) and the findings that stop it from being built (shape and types only)."""
        from pydantic import ValidationError

        from wizard.spec import ClusterAnswers

        data, problems = self.to_data()
        if problems:
            return None, problems
        try:
            return ClusterAnswers.model_validate(data), []
        except ValidationError as exc:
            found = []
            for err in exc.errors():
                path = ".".join(str(p) for p in err["loc"])
                msg = "required" if err["type"] == "missing" else err["msg"]
                found.append(Finding(path, msg))
            return None, found


def _split(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


def _convert(path: str, text: str, problems: list[Finding]) -> Any:
    if path in LIST_FIELDS:
        return _split(text) or None
    if not text:
        return None
    if path in INT_FIELDS:
        try:
            return int(text)
        except ValueError:
            problems.append(Finding(path, f"{text!r} is not a whole number; type digits only"))
            return None
    return text


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for p in parents:
        node = node.setdefault(p, {})
    node[leaf] = value


def _flatten(prefix: str, data: Mapping[str, Any], out: dict[str, str]) -> None:
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(f"{path}.", value, out)
        elif isinstance(value, list):
            out[path] = ", ".join(str(v) for v in value)
        elif value is not None:
            out[path] = str(value)
