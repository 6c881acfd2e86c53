"""Fault injection: a scenario file (YAML or JSON) lists faults; each matching call fires up to N times.

    description: bootstrap answers Unavailable twice, then works
    faults:
      - id: boot-unavailable          # optional (default "<index>-<tool>"); keys the persisted counters
        tool: talosctl                # which fake tool
        match: "bootstrap"            # optional regex searched in the argv joined with spaces
        node: 10.25.13.11             # optional: talosctl --nodes value (first)
        release: cilium               # optional: helm/helmfile release
        skip: 0                       # optional: let the first N matching calls through
        times: 2                      # an integer or "always" (default 1)
        effect: unavailable           # a named effect, or {stderr, stdout, exit, delay, name}

Counters live in the state file (``faults.<id>.matched/fired``), so "fail twice then succeed" holds
across the separate tool processes. Named effects print the real tool's text (runner.md); the
modifier effects (``bgp_not_established``, ``branch_missing``, ``deploy_not_ready``...) alter the normal
output instead of replacing it.
"""

from __future__ import annotations

import json
import os
import re

from wizard.sim.state import SimError

TERMINAL = {
    "connection_refused", "unavailable", "no_route", "certificate_required", "x509_unknown_authority",
    "not_available_yet", "time_not_in_sync", "already_exists", "not_control_plane", "invalid_config",
    "helm_pending", "webhook_refused", "timeout", "deadline_exceeded", "crash", "no_matching_resources",
    "not_found", "signed_out", "cluster_unreachable", "version_mismatch",
}
MODIFIERS = {"bgp_not_established", "branch_missing", "deploy_not_ready"}
NAMED = TERMINAL | MODIFIERS
TOOLS = {"talosctl", "talhelper", "helmfile", "helm", "kubectl", "flux", "cilium", "op", "git"}


FIELDS = ("id", "tool", "match", "node", "release", "skip", "times", "name", "stderr", "stdout", "exit", "delay")


class Fault:
    """One parsed fault (a plain class: dataclasses cost ~10 ms of start-up per tool call).
    ``times`` None = always; ``name`` the named effect; stderr/stdout/exit/delay the custom effect."""

    def __init__(self, **kw):
        for f in FIELDS:
            setattr(self, f, kw.get(f))

    def as_dict(self) -> dict:
        return {f: getattr(self, f) for f in FIELDS}


def _fault(raw, idx: int, source: str) -> Fault:
    where = f"{source}: faults[{idx}]"
    if not isinstance(raw, dict):
        raise SimError(f"{where}: each fault must be a mapping with at least `tool` and `effect`")
    unknown = set(raw) - {"id", "tool", "match", "node", "release", "skip", "times", "effect", "description"}
    if unknown:
        raise SimError(f"{where}: unknown key(s) {sorted(unknown)}; allowed: id tool match node release skip times effect")
    tool = raw.get("tool")
    if tool not in TOOLS:
        raise SimError(f"{where}.tool: {tool!r} is not a simulated tool ({', '.join(sorted(TOOLS))})")
    if raw.get("match") is not None:
        try:
            re.compile(str(raw["match"]))
        except re.error as exc:
            raise SimError(f"{where}.match: invalid regular expression ({exc})") from None
    times = raw.get("times", 1)
    if times == "always":
        times = None
    elif not isinstance(times, int) or times < 0:
        raise SimError(f"{where}.times: must be a non-negative integer or \"always\" (got {times!r})")
    skip = raw.get("skip", 0)
    if not isinstance(skip, int) or skip < 0:
        raise SimError(f"{where}.skip: must be a non-negative integer (got {skip!r})")
    eff = raw.get("effect")
    if isinstance(eff, str):
        eff = {"name": eff}
    if not isinstance(eff, dict) or not eff:
        raise SimError(f"{where}.effect: a named effect ({', '.join(sorted(NAMED))}) or a mapping "
                       "with stderr/stdout/exit/delay")
    bad = set(eff) - {"name", "stderr", "stdout", "exit", "delay"}
    if bad:
        raise SimError(f"{where}.effect: unknown key(s) {sorted(bad)}; allowed: name stderr stdout exit delay")
    name = eff.get("name")
    if name is not None and name not in NAMED:
        raise SimError(f"{where}.effect: unknown named effect {name!r}; known: {', '.join(sorted(NAMED))}")
    code = eff.get("exit")
    if code is not None and (not isinstance(code, int) or not 0 <= code <= 255):
        raise SimError(f"{where}.effect.exit: must be an integer 0-255 (got {code!r})")
    delay = eff.get("delay", 0)
    if not isinstance(delay, (int, float)) or delay < 0:
        raise SimError(f"{where}.effect.delay: must be virtual seconds >= 0 (got {delay!r})")
    return Fault(id=str(raw.get("id") or f"{idx}-{tool}"), tool=tool, match=raw.get("match"),
                 node=raw.get("node"), release=raw.get("release"), skip=skip, times=times, name=name,
                 stderr=eff.get("stderr"), stdout=eff.get("stdout"), exit=code, delay=float(delay))


def parse_scenario(text: str, source: str) -> list[Fault]:
    try:
        if source.endswith(".json"):
            doc = json.loads(text)
        else:
            from wizard.sim.yamlio import load

            doc = load(text)
    except Exception as exc:  # ruamel/json raise many types; all mean "not parseable"
        raise SimError(f"{source}: cannot parse the scenario file ({exc.__class__.__name__}: {exc})") from None
    if isinstance(doc, list):
        doc = {"faults": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("faults", []), list):
        raise SimError(f"{source}: expected a mapping with a `faults:` list")
    faults = [_fault(f, i, source) for i, f in enumerate(doc.get("faults") or [])]
    ids = [f.id for f in faults]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SimError(f"{source}: duplicate fault id(s) {dup}")
    return faults


def load_cached(state: dict, path: str) -> list[Fault]:
    """Parse the scenario once per (path, mtime, size); the parsed form is cached in the state."""
    try:
        st = os.stat(path)
    except OSError:
        raise SimError(f"scenario file {path} (K8S_WIZARD_SIM_SCENARIO) does not exist") from None
    key = f"{path}:{st.st_mtime_ns}:{st.st_size}"
    cache = state.get("scenario_cache")
    if cache and cache.get("key") == key:
        return [Fault(**f) for f in cache["faults"]]
    with open(path, encoding="utf-8") as fh:
        faults = parse_scenario(fh.read(), path)
    state["scenario_cache"] = {"key": key, "faults": [f.as_dict() for f in faults]}
    return faults


#: Subcommands that install or upgrade a release: the only calls a ``helm_pending`` fault can hit (a
#: status/rollback/uninstall call must not use up the fault without any effect).
INSTALL_SUBS = {"upgrade", "install", "sync", "apply"}


def fire(state: dict, faults: list[Fault], *, tool: str, argv: list[str], node: str | None = None,
         release: str | None = None, release_level: bool = False, sub: str = "") -> list[Fault]:
    """Faults firing for this call (counters updated in ``state``). ``release_level``: the per-release
    check inside helm/helmfile; call-level checks skip faults that name a release, except for helm."""
    text = " ".join(argv)
    out = []
    for f in faults:
        if f.tool != tool:
            continue
        if f.name == "helm_pending" and sub not in INSTALL_SUBS:
            continue
        if f.release is not None:
            if release is None or f.release != release:
                continue
        elif release_level:
            continue
        if f.node is not None and f.node != node:
            continue
        if f.match is not None and not re.search(f.match, text):
            continue
        c = state.setdefault("faults", {}).setdefault(f.id, {"matched": 0, "fired": 0})
        c["matched"] += 1
        if c["matched"] <= f.skip:
            continue
        if f.times is not None and c["fired"] >= f.times:
            continue
        c["fired"] += 1
        out.append(f)
    return out
