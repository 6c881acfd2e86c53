"""Step 7, Secrets: age recipients (.sops.yaml, typed, or a new key), Talos secrets, deploy key, 1Password.

Private key material is never shown: a generated age key is written to a 0600 file outside the repo
and only its path and public key appear; the deploy key's private half exists only encrypted.
"""

from __future__ import annotations

import os
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, RadioButton, RadioSet, Static

from screens.draft import Draft
from screens.fields import SECRETS
from screens.flow import FlowError, make_plan
from screens.steps.base import StepScreen
from screens.widgets.form import FieldRow


def new_key_path(name: str) -> Path:
    """Where a generated age key goes: sops' default keys.txt when there is none yet (sops then finds
    it without configuration), else a new file under ~/.config/k8s-wizard/age/."""
    from wizard.paths import xdg_config_home
    from wizard.sops.keys import default_keys_paths

    default = default_keys_paths()[0]
    if not default.exists() and not os.environ.get("SOPS_AGE_KEY_FILE"):
        return default
    folder = xdg_config_home() / "k8s-wizard" / "age"
    path, n = folder / f"{name or 'cluster'}.keys.txt", 1
    while path.exists():
        n += 1
        path = folder / f"{name or 'cluster'}-{n}.keys.txt"
    return path


def generate_key(name: str) -> tuple[Path, str]:
    """Generate an age identity, save it (0600), return (path, public recipient). Never returns the key."""
    from wizard.sops.keys import generate_identity, write_keys_file

    identity, recipient = generate_identity()
    path = new_key_path(name)
    write_keys_file(path, identity)
    del identity
    return path, recipient


class SecretsStep(StepScreen):
    STEP = "secrets"
    HELP = """**age recipients** encrypt this cluster's secrets (Talos PKI, deploy key) in the repo.
Use the recipients of `.sops.yaml` (default), type public keys, or generate a new key: its private
half is saved to a file (mode 0600, outside the repo) and only its path and public key are shown.
**Talos secrets**: an existing encrypted bundle is reused (decrypted with your local key), never
regenerated; otherwise a new one is generated when you write.
**Deploy key**: Flux reads the repo over SSH with a read-only deploy key generated here; add its
public key to GitHub with the `gh` command shown (press *Show deploy key*).
**1Password vault**: where `bootstrap/<name>/secrets.yaml.tpl`'s `op://` references point."""

    def compose_body(self) -> ComposeResult:
        inv = self.session.inventory
        src = self.draft.age_source
        yield Static("age recipients", classes="section")
        with RadioSet(id="age-source"):
            yield RadioButton(f"Use .sops.yaml's recipients ({len(inv.sops_recipients)})", value=src == "repo", id="age-repo")
            yield RadioButton("Type recipients", value=src == "list", id="age-list")
            yield RadioButton("Generate a new age key", value=src == "generated", id="age-generated")
        yield Static(self.recipients_text(), id="age-info", markup=False)
        yield Button("Generate key now", id="age-generate")
        yield from self.field_rows(SECRETS[:1])
        yield Static("Talos secrets", classes="section")
        yield Static(self.talos_text(), id="talos-info", markup=False)
        yield Static("Flux deploy key", classes="section")
        with Horizontal(classes="buttons"):
            yield Button("Show deploy key", id="deploy-show")
        yield Static(self.deploy_text(None), id="deploy-info", markup=False)
        yield from self.field_rows(SECRETS[1:])

    def on_mount(self) -> None:
        super().on_mount()
        self.sync()

    def focus_target(self):
        return self.query_one("#age-source")

    # ---- texts -----------------------------------------------------------------------------------
    def recipients_text(self) -> str:
        inv = self.session.inventory
        lines = [f"  {r}" for r in inv.sops_recipients] or ["  (no .sops.yaml recipients)"]
        have = "a local age key matches them" if inv.identity_available else "no local age key matches them"
        text = ".sops.yaml: " + ("\n" if lines else "") + "\n".join(lines) + f"\n  ({have})"
        if self.draft.generated_key_file:
            text += f"\nNew key saved to {self.draft.generated_key_file} (mode 0600; keep a backup: it decrypts the cluster's secrets)."
            if os.environ.get("SOPS_AGE_KEY_FILE") or not self.draft.generated_key_file.endswith("sops/age/keys.txt"):
                text += f"\n  sops finds it only with: export SOPS_AGE_KEY_FILE={self.draft.generated_key_file}"
        return text

    def talos_text(self) -> str:
        rel = f"clusters/{self.draft.name}/talos/talsecret.sops.yaml"
        if (self.session.repo / rel).exists():
            return f"{rel} exists: it is reused (decrypted with your local age key), never regenerated."
        return f"New bundle: generated when you write, encrypted to the recipients above ({rel})."

    def deploy_text(self, public: str | None) -> str:
        url = self.draft.get("git.url")
        if not url.startswith("ssh://"):
            return f"git URL {url or '(none)'} is not ssh://: Flux reads it without a deploy key."
        rel = f"bootstrap/{self.draft.name}/github-deploy-key.sops.yaml"
        if public is None:
            state = "existing key reused" if (self.session.repo / rel).exists() else "a new key is generated"
            return f"{rel}: {state}. Press Show deploy key to see its public key and the gh command."
        from wizard.deploy_key import gh_deploy_key_command

        return (f"Public key (add it to the repo as a read-only deploy key):\n  {public}\n"
                f"  {gh_deploy_key_command(url, f'flux-{self.draft.name}')}")

    def sync(self) -> None:
        src = self.source()
        self.query_one("#age-generate").display = src == "generated"
        row = self.row("secrets.ageRecipients")
        if row is not None:
            row.display = src != "repo"

    def source(self) -> str:
        pressed = self.query_one("#age-source", RadioSet).pressed_button
        return "repo" if pressed is None else str(pressed.id)[4:]

    # ---- events ----------------------------------------------------------------------------------
    @on(RadioSet.Changed, "#age-source")
    def _source(self) -> None:
        self.sync()

    @on(Button.Pressed, "#age-generate")
    def _generate(self) -> None:
        try:
            path, recipient = generate_key(self.draft.name)
        except (OSError, ValueError) as exc:
            self.notify(f"cannot save the new age key: {exc}", severity="error")
            return
        self.draft = self.collect().evolve(generated_key_file=str(path), age_source="generated")
        self.draft = self.draft.with_values(**{"secrets.ageRecipients": recipient})
        row = self.row("secrets.ageRecipients")
        row.widget.value = recipient
        self.query_one("#age-info", Static).update(self.recipients_text())
        self.notify(f"age key saved to {path}")

    @on(Button.Pressed, "#deploy-show")
    def _deploy(self) -> None:
        answers, problems = self.collect().to_answers()
        if answers is None:
            self.query_one("#deploy-info", Static).update(
                "finish the earlier steps first: " + "; ".join(f"{f.field}: {f.message}" for f in problems[:2]))
            return
        self.query_one("#deploy-info", Static).update("rendering the plan…")
        self.plan_worker(answers)

    @work(thread=True, exclusive=True, group="plan")
    def plan_worker(self, answers) -> None:
        try:
            prepared = make_plan(self.session, answers)
            text = self.deploy_text(prepared.rendered.deploy_key_public or None)
        except FlowError as exc:
            text = f"cannot render yet: {exc}"
        except Exception as exc:  # noqa: BLE001 - a worker crash would print locals (keys) to the terminal
            text = f"internal error {type(exc).__name__}: {exc}"
        self.app.call_from_thread(self.query_one("#deploy-info", Static).update, text)

    def collect(self) -> Draft:
        # the typed recipients are kept even while "repo" is chosen (Draft.to_data leaves them out)
        return super().collect().evolve(age_source=self.source())

    def extra_checks(self, draft: Draft):
        if draft.age_source != "repo" and not draft.get("secrets.ageRecipients").strip():
            row = self.row("secrets.ageRecipients")
            msg = "generate a key or type at least one age1... recipient" if draft.age_source == "generated" \
                else "type at least one age1... recipient (or use .sops.yaml's)"
            if isinstance(row, FieldRow):
                row.show(msg)
                return [(row.widget if draft.age_source == "list" else self.query_one("#age-generate"), msg)]
        return []
