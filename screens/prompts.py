"""``new-cluster --plain``: the wizard as line-by-line questionary prompts, same defaults and checks.

The prompts go through an ``Ask`` object (text / select / confirm) so tests inject answers without a
terminal; ``QuestionaryAsk`` is the real one (``unsafe_ask``, so Ctrl-C reaches ``run_plain`` once).
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Protocol

from screens.draft import Draft
from screens.fields import (BONDING, IDENTITY, LINK, NETWORK, NODE, SECRETS, VERSIONS, FieldSpec,
                            check_value, check_value_severity, findings_for)
from screens.flow import (STEPS, FlowError, Session, blocking, fill_nodes, like_draft, make_plan, network_defaults,
                          open_session, review_findings, save_answers, scratch_draft, write)

Validate = Callable[[str], "bool | str"]


class Ask(Protocol):
    def text(self, message: str, default: str, validate: Validate) -> str: ...
    def select(self, message: str, choices: list[str], default: str) -> str: ...
    def confirm(self, message: str, default: bool) -> bool: ...


class QuestionaryAsk:
    def text(self, message: str, default: str, validate: Validate) -> str:
        import questionary

        return questionary.text(message, default=default, validate=validate).unsafe_ask()

    def select(self, message: str, choices: list[str], default: str) -> str:
        import questionary

        return questionary.select(message, choices=choices, default=default or None).unsafe_ask()

    def confirm(self, message: str, default: bool) -> bool:
        import questionary

        return questionary.confirm(message, default=default).unsafe_ask()


def _out(msg: str = "") -> None:
    print(msg, file=sys.stderr)


def _validator(spec: FieldSpec) -> Validate:
    def validate(text: str) -> bool | str:
        return check_value(spec, text) or True

    return validate


def ask_fields(ask: Ask, draft: Draft, specs: tuple[FieldSpec, ...]) -> Draft:
    updates = {}
    for spec in specs:
        current = draft.get(spec.path)
        if spec.choices:
            value = ask.select(spec.label, list(spec.choices), current or spec.choices[0])
        else:
            value = ask.text(f"{spec.label} ({spec.help})" if spec.help else spec.label, current, _validator(spec))
        msg, severity = check_value_severity(spec, value)
        if msg and severity == "warning":
            _out(f"  warning: {msg}")
        updates[spec.path] = value.strip()
    return draft.with_values(**updates)


def ask_nodes(ask: Ask, draft: Draft) -> Draft:
    if ask.confirm("Fill 3 control planes + 3 workers from the node CIDR (.11-.16)?", not draft.nodes):
        draft = fill_nodes(draft)
    elif not draft.nodes or ask.confirm("Re-enter the nodes one by one?", False):
        count = int(ask.text("How many nodes?", str(len(draft.nodes) or 3),
                             lambda t: True if t.strip().isdigit() and int(t) > 0 else "a whole number above 0"))
        rows = []
        for i in range(count):
            old = draft.nodes[i] if i < len(draft.nodes) else {}
            row = {}
            for spec in NODE:
                if spec.choices:
                    row[spec.path] = ask.select(f"node {i + 1} {spec.label}", list(spec.choices),
                                                old.get(spec.path) or ("controlplane" if i < 3 else "worker"))
                else:
                    row[spec.path] = ask.text(f"node {i + 1} {spec.label}", old.get(spec.path, "") or
                                              ("/dev/nvme0n1" if spec.path == "installDisk" else ""), _validator(spec))
            rows.append(row)
        draft = draft.with_nodes(rows)
    for n in draft.nodes:
        _out(f"  {n['hostname']:<16} {n['address']:<16} {n['role']:<13} {n['installDisk']}")
    return draft


def ask_step(ask: Ask, session: Session, draft: Draft, step: str) -> Draft:
    """One step's questions, repeated while ``validate_answers`` has errors for that step."""
    while True:
        if step == "identity":
            draft = ask_fields(ask, draft, IDENTITY[:4])
            if draft.get("cluster.observability.role") == "spoke":
                draft = ask_fields(ask, draft, IDENTITY[4:5])
            else:
                draft = draft.with_values(**{"cluster.observability.target": ""})
            draft = ask_fields(ask, draft, IDENTITY[5:])
        elif step == "network":
            draft = ask_fields(ask, draft, NETWORK[:1])
            draft = ask_fields(ask, network_defaults(draft), NETWORK[1:])
        elif step == "nodes":
            draft = ask_nodes(ask, draft)
        elif step == "bonding":
            draft = draft.evolve(bond=ask.confirm("Bond two or more NICs per node?", draft.bond))
            if draft.bond:
                draft = ask_fields(ask, draft, BONDING)
            draft = ask_fields(ask, draft, LINK)
        elif step == "versions":  # Kubernetes-vs-Talos/Flux advice comes with the findings below
            draft = ask_fields(ask, draft, VERSIONS)
        elif step == "secrets":
            draft = ask_secrets(ask, session, draft)
        found = findings_for(step, draft, session.inventory)
        for f in found:
            _out(f"  {'error' if f.is_error else 'warning'}: {f.field}: {f.message}")
        if not blocking(found):
            return draft


def ask_secrets(ask: Ask, session: Session, draft: Draft) -> Draft:
    inv = session.inventory
    choices = [f"use .sops.yaml's recipients ({len(inv.sops_recipients)})", "type recipients", "generate a new age key"]
    current = {"repo": 0, "list": 1, "generated": 2}.get(draft.age_source, 0)
    picked = choices.index(ask.select("age recipients for this cluster's secrets", choices, choices[current]))
    if picked == 2:
        from screens.steps.secrets import generate_key

        path, recipient = generate_key(draft.name)
        _out(f"  new age key saved to {path} (mode 0600; back it up). Public key: {recipient}")
        draft = draft.evolve(age_source="generated", generated_key_file=str(path)).with_values(
            **{"secrets.ageRecipients": recipient})
    elif picked == 1:
        draft = ask_fields(ask, draft.evolve(age_source="list"), SECRETS[:1])
    else:
        draft = draft.evolve(age_source="repo")
    return ask_fields(ask, draft, SECRETS[1:])


def run_flow(ask: Ask, session: Session, draft: Draft) -> int:
    inv = session.inventory
    _out(f"repo: {inv.root}")
    for c in inv.existing:
        _out(f"  cluster {c.name}: id {c.id}, nodes {c.node_cidr}, pods {c.pod_cidr}, services {c.service_cidr}, "
             f"branch {c.branch}, role {c.role}")
    if inv.dirty:
        _out("  warning: the git tree has uncommitted changes")
    if not getattr(session.args, "answers", None) and not getattr(session.args, "like", None) and inv.existing:
        choices = ["new from scratch"] + [f"like {c.name}" for c in inv.existing]
        start = ask.select("Start the new cluster", choices, choices[0])
        if start != choices[0]:
            draft = like_draft(session, start[5:])
        else:
            draft = scratch_draft(session)
    steps = [s for s, _ in STEPS[1:7]]
    i = 0
    while i < len(steps):
        _out(f"== {dict(STEPS)[steps[i]]}")
        draft = ask_step(ask, session, draft, steps[i])
        i += 1
        if i == len(steps):
            i = review(ask, session, draft, steps)
            if i < 0:
                return -i - 1
    return 0


def review(ask: Ask, session: Session, draft: Draft, steps: list[str]) -> int:
    """Returns the index of a step to redo, or -(exit code + 1) when finished."""
    from screens.fields import step_of

    answers, problems = draft.to_answers()
    found = problems if answers is None else review_findings(session, answers)
    for f in found:
        _out(f"  {'error' if f.is_error else 'warning'}: {f.field}: {f.message}")
    errs = blocking(found)
    if errs:
        step = step_of(errs[0].field)
        _out(f"fix the errors first: back to {dict(STEPS).get(step, step)}")
        return steps.index(step) if step in steps else 0
    prepared = make_plan(session, answers)
    _out(prepared.plan.summary())
    for w in prepared.warnings:
        _out(f"  warning: {w}")
    choice = ask.select("Write the cluster?", ["write", "save answers only", "cancel"], "write")
    if choice == "cancel":
        _out("cancelled: no changes were made")
        return -(130 + 1)
    if choice == "save answers only":
        path = save_answers(session, answers)
        _out(f"answers saved to {path}; write later: k8s-wizard new-cluster --answers {path} --yes")
        return -1
    written = write(session, answers)
    if session.dry_run:
        _out("dry run: nothing written")
        return -1
    _out(f"wrote {len(written)} file(s)")
    for note in prepared.rendered.notes:
        _out(note)
    _out(f"answers file: {session.answers_path(answers.name)}")
    _out(f"next: commit and push, then k8s-wizard bootstrap {answers.name}")
    return -1


def run_plain(args: Any, *, ask: Ask | None = None) -> int:
    try:
        session, draft = open_session(args)
        return run_flow(ask or QuestionaryAsk(), session, draft)
    except KeyboardInterrupt:
        _out("cancelled: no changes were made")
        return 130
    except FlowError as exc:
        _out(f"k8s-wizard new-cluster: {exc}")
        return exc.exit_code
