"""``new-cluster`` without ``--yes``: open the Textual wizard (prefilled from ``--answers`` / ``--like``)."""

from __future__ import annotations

import sys
from typing import Any


def _say(msg: str) -> None:
    print(f"k8s-wizard new-cluster: {msg}", file=sys.stderr)


def build_app(args: Any):
    """The App for ``args`` (tests drive it with ``run_test``). Raises FlowError for a bad repo/answers.

    The repo scan (git, the answers model) runs in a thread while Textual is imported: the two
    overlap where git runs, which keeps the first paint within budget."""
    import threading

    box: dict[str, Any] = {}

    def load() -> None:
        try:
            from screens.flow import open_session

            box["session"] = open_session(args)
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    loader = threading.Thread(target=load, name="k8s-wizard-scan", daemon=True)
    loader.start()
    from screens.app import WizardApp

    loader.join()
    if "error" in box:
        raise box["error"]
    session, draft = box["session"]
    return WizardApp(session, draft)


def run_wizard(args: Any) -> int:
    from screens.flow import FlowError

    try:
        app = build_app(args)
    except FlowError as exc:
        _say(str(exc))
        return exc.exit_code
    rc = app.run()
    code = app.return_code if app.return_code is not None else (rc or 0)
    s = app.session
    if code == 130 or (code == 0 and not s.outcome):
        _say("cancelled: no changes were made to the repo" if s.outcome != "saved"
             else f"cancelled; only the answers were saved to {s.answers_saved}")
        return 130 if code == 130 else code
    if s.outcome == "written":
        _say(f"wrote {len(s.written)} file(s); next: commit and push, then k8s-wizard bootstrap {app.draft.name}")
    elif s.outcome == "saved":
        _say(f"answers saved to {s.answers_saved}; write later with: k8s-wizard new-cluster --answers "
             f"{s.answers_saved} --yes")
    if app.then == "bootstrap":
        from wizard.cli import main

        return main(["bootstrap", app.draft.name, "--repo", str(s.repo)])
    return int(code)
