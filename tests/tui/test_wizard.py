"""Pilot tests of the wizard: validation blocks Next, Back/Next keeps values, like-prefill, no key
material on screen, cancel writes nothing."""

from __future__ import annotations

import pytest

from screens.app import WizardApp
from screens.draft import Draft
from screens.fields import run_check
from screens.flow import open_session
from screens.launch import build_app
from tests.helpers.seed import answers_path
from tests.tui.conftest import tree, wizard_args
from tests.tui.driver import choose, next_step, review_ready, screen_text, tab_to, type_into, wait_until
from wizard.answers_io import load_answers

SIZE = (100, 32)


def apps_app(repo, start: str, **changes) -> WizardApp:
    """The wizard on ``repo`` at step ``start`` with the apps answers (optionally changed)."""
    session, _ = open_session(wizard_args(repo))
    answers, _ = load_answers(answers_path("apps"))
    draft = Draft.from_answers(answers, like="infra")
    if changes:
        draft = draft.with_values(**changes)
    return WizardApp(session, draft, start=start)


# field id, step, bad text, the core check that must produce the message shown (screen order per step)
INVALID = [
    ("f-cluster-name", "identity", "Apps_1", ("check_cluster_name", "Apps_1")),
    ("f-cluster-id", "identity", "300", ("check_cluster_id", 300)),
    ("f-cluster-domain", "identity", "monosense.dev.", ("check_domain", "monosense.dev.")),
    ("f-cluster-branch", "identity", "rel..ease", ("check_branch", "rel..ease")),
    ("f-git-url", "identity", "git@github.com:o/r.git", ("check_git_url", "git@github.com:o/r.git")),
    ("f-network-nodeCidr", "network", "10.25.13.5/24", ("check_cidr", "10.25.13.5/24")),
    ("f-network-gateway", "network", "10.25.13.1/24", ("check_ipv4", "10.25.13.1/24", "gateway")),
    ("f-network-vip", "network", "10.25.13.300", ("check_ipv4", "10.25.13.300", "VIP")),
    ("f-network-podCidr", "network", "10.44.0.0", ("check_cidr", "10.44.0.0")),
    ("f-network-bgp-localAsn", "network", "0", ("check_asn", 0)),
    ("f-network-bond-interfaces", "bonding", "enp1s0f0, bad name!", ("check_interface_name", "bad name!")),
    ("f-network-mtu", "bonding", "100", ("check_mtu", 100)),
    ("f-network-vlan", "bonding", "5000", ("check_vlan", 5000)),
    ("f-versions-talos", "versions", "1.12.0", ("check_version", "1.12.0", "talos")),
    ("f-secrets-onepasswordVault", "secrets", "a/b", ("check_op_vault", "a/b")),
]


@pytest.mark.parametrize("step", sorted({c[1] for c in INVALID}))
async def test_invalid_input_shows_message_and_blocks_next(answers_repo, step):
    """Every bad value of the screen at once: each field shows the core's message, Next refuses and
    focuses the first one; fixing it clears its message inline."""
    cases = [c for c in INVALID if c[1] == step]
    app = apps_app(answers_repo, step)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        good = {c[0]: screen.query_one(f"#{c[0]}").value for c in cases}
        for n, (widget_id, _, bad, _) in enumerate(cases):
            await type_into(pilot, widget_id, bad, keys=n == 0)  # typed once per screen, then pasted
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is screen, "Next must refuse invalid input"
        for widget_id, _, bad, check in cases:
            expected = run_check(check[0], *check[1:])
            assert expected  # the core really rejects it
            row = screen.query_one(f"#row-{widget_id}")
            assert str(row.query_one(".msg").render()) == expected, widget_id
            assert row.has_error
        assert app.focused.id == cases[0][0]
        first = cases[0][0]
        await type_into(pilot, first, good[first], keys=False)
        assert not screen.query_one(f"#row-{first}").has_error  # cleared as soon as it is fixed


async def test_untouched_empty_required_field_blocks_next(answers_repo):
    app = apps_app(answers_repo, "identity", **{"git.url": ""})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is screen
        assert app.focused.id == "f-git-url"
        assert "Git URL is required" in screen_text(app)


async def test_cross_field_rule_blocks_next_under_its_field(answers_repo):
    # the VIP outside the node CIDR is a validate_answers rule, not a single-field check
    app = apps_app(answers_repo, "network", **{"network.vip": "10.25.99.10"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen is screen
        assert app.focused.id == "f-network-vip"
        assert "10.25.99.10" in str(screen.query_one("#row-f-network-vip .msg").render())


async def test_id_of_existing_cluster_is_refused(answers_repo):
    app = apps_app(answers_repo, "identity", **{"cluster.id": "1"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert type(app.screen).__name__ == "IdentityStep"
        assert "already used by cluster infra" in str(app.screen.query_one("#row-f-cluster-id .msg").render())


async def test_back_and_next_keep_every_value(answers_repo):
    app = apps_app(answers_repo, "identity")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_into(pilot, "f-cluster-domain", "example.org")
        await next_step(pilot, "NetworkStep")
        await type_into(pilot, "f-network-nameservers", "10.25.13.2, 10.25.13.3", keys=False)
        await type_into(pilot, "f-network-vip", "not-an-ip", keys=False)  # invalid text survives Back too
        await pilot.press("escape")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "IdentityStep", what="Esc = Back")
        assert app.screen.query_one("#f-cluster-domain").value == "example.org"
        await next_step(pilot, "NetworkStep")
        assert app.screen.query_one("#f-network-nameservers").value == "10.25.13.2, 10.25.13.3"
        assert app.screen.query_one("#f-network-vip").value == "not-an-ip"
    assert app.draft.get("network.vip") == "not-an-ip"


async def test_like_infra_prefills_and_suggests_free_id_and_cidrs(answers_repo):
    app = build_app(wizard_args(answers_repo))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "infra" in text and "10.42.0.0/16" in text  # existing cluster listed with its CIDRs
        await tab_to(pilot, "start")
        await pilot.press("down", "space")  # "Like infra"
        await next_step(pilot, "IdentityStep")
        assert app.screen.query_one("#f-cluster-id").value == "2"
        assert app.screen.query_one("#f-git-url").value == "ssh://git@github.com/monosense-io/k8s-ops.git"
        assert app.draft.get("cluster.observability.role") == "spoke"  # infra is the hub already
        assert app.draft.get("cluster.branch") == "release"
        assert app.draft.get("network.podCidr") == "10.44.0.0/16"
        assert app.draft.get("network.serviceCidr") == "10.45.0.0/16"
        assert app.draft.get("network.mtu") == "9000"
        assert app.draft.bond and app.draft.get("network.bond.interfaces") == "enp1s0f0, enp1s0f1"


async def test_fill_nodes_uses_the_seed_pattern(answers_repo):
    app = apps_app(answers_repo, "nodes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.nodes = []
        app.screen.refresh_table()
        await pilot.press("ctrl+f")
        await pilot.pause()
        rows = [(n["hostname"], n["address"], n["role"]) for n in app.screen.nodes]
        assert rows[0] == ("apps-cp-1", "10.25.13.11", "controlplane")
        assert rows[-1] == ("apps-wk-3", "10.25.13.16", "worker")
        assert "3 control plane(s), 3 worker(s); 0 error(s)" in screen_text(app)


async def test_version_advice_comes_from_the_core_and_does_not_block(answers_repo):
    from wizard.validation import kubernetes_flux_warning, kubernetes_talos_warning

    app = apps_app(answers_repo, "versions")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        compat = app.screen.query_one("#compat")
        assert "compatible" in str(compat.render())
        await type_into(pilot, "f-versions-kubernetes", "v1.31.0", keys=False)
        await pilot.pause()
        shown = str(compat.render())
        # Talos 1.12 supports 1.31, but the seed's Flux 2.7 needs 1.32
        assert kubernetes_talos_warning("v1.31.0", "v1.12.0") is None
        assert kubernetes_flux_warning("v1.31.0", "2.7.5") in shown
        await type_into(pilot, "f-versions-kubernetes", "v1.36.0", keys=False)
        await pilot.pause()
        assert kubernetes_talos_warning("v1.36.0", "v1.12.0") in str(compat.render())
        await next_step(pilot, "SecretsStep")  # advice, not an error


async def test_even_control_planes_block_next(answers_repo):
    app = apps_app(answers_repo, "nodes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.screen.nodes[3]["role"] = "controlplane"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert type(app.screen).__name__ == "NodesStep"
        assert "odd count" in screen_text(app)


async def test_secrets_screen_never_shows_private_keys(answers_repo, tmp_path):
    app = apps_app(answers_repo, "secrets")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await tab_to(pilot, "age-source")
        await pilot.press("down", "down", "space")  # generate a new age key
        await pilot.pause()
        await tab_to(pilot, "age-generate")
        await pilot.press("enter")
        await pilot.pause()
        key_file = app.screen.draft.generated_key_file
        assert key_file
        text = screen_text(app)
        await tab_to(pilot, "deploy-show")
        await pilot.press("enter")

        def rendered() -> bool:
            info = str(app.screen.query_one("#deploy-info").render())
            return "rendering" not in info and "Press Show" not in info

        await wait_until(pilot, rendered, what="the deploy key")
        text += screen_text(app)
        shown = str(app.screen.query_one("#deploy-info").render())
    from pathlib import Path

    assert "ssh-ed25519 " in shown and "gh repo deploy-key add" in shown, shown

    content = Path(key_file).read_text()
    assert "AGE-SECRET-KEY-1" in content and oct(Path(key_file).stat().st_mode & 0o777) == "0o600"
    assert "AGE-SECRET-KEY" not in text and "PRIVATE KEY" not in text and "-----BEGIN" not in text
    assert key_file in text.replace("\n", "") or Path(key_file).name in text
    recipient = [line for line in content.splitlines() if line.startswith("# public key: ")][0][14:]
    assert recipient in text
    assert not Path(key_file).is_relative_to(answers_repo)


async def test_cancel_leaves_the_repo_untouched(answers_repo):
    before = tree(answers_repo)
    app = build_app(wizard_args(answers_repo))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await next_step(pilot, "IdentityStep")
        await type_into(pilot, "f-cluster-name", "apps")
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 130
    assert tree(answers_repo) == before


async def test_help_and_palette_jump(answers_repo):
    app = apps_app(answers_repo, "identity")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        assert "Observability" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        app.jump("versions")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "VersionsStep", what="the jump")
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Go to step 5: Bonding / MTU" in titles


async def test_works_at_80x24(answers_repo):
    app = apps_app(answers_repo, "network")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "step 3/9: Network · cluster apps" in text
        assert "Next" in text.splitlines()[-3] + text.splitlines()[-2]


async def test_answers_file_prefills_every_field_and_ctrl_s_saves(answers_repo):
    """--answers F without --yes: every screen is filled, Enter/Ctrl-N walks to Review without typing."""
    from wizard.answers_io import load_answers as load

    import shutil

    copy = answers_repo.parent / "apps.answers.yaml"
    shutil.copyfile(answers_path("apps"), copy)
    app = build_app(wizard_args(answers_repo, answers=copy), defer_scan=True)  # as run_wizard starts it
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "RepoStep", what="the answers file")
        assert app.draft.to_answers()[0] == load(copy)[0]
        for expect in ("IdentityStep", "NetworkStep"):  # filled screens pass Next without typing
            await next_step(pilot, expect)
        app.jump("secrets")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "SecretsStep", what="the jump")
        await next_step(pilot, "ReviewStep")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.session.answers_saved == copy  # --answers names the file Ctrl-S writes back
    assert load(copy)[0] == load(answers_path("apps"))[0]


async def test_ctrl_s_writes_only_the_answers_file(answers_repo):
    app = apps_app(answers_repo, "versions")
    before = tree(answers_repo)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    after = tree(answers_repo)
    changed = sorted(k for k in after if before.get(k) != after[k])
    assert changed == ["clusters/apps/cluster-answers.yaml"]
    expected, _ = load_answers(answers_path("apps"))
    got, _ = load_answers(answers_repo / changed[0])
    assert got == expected


async def test_review_lists_errors_and_jumps_to_their_step(answers_repo):
    before = tree(answers_repo)
    app = apps_app(answers_repo, "review", **{"network.vip": "10.25.99.10"})
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: review_ready(app), what="the review")
        assert "block writing" in screen_text(app)
        assert app.screen.query_one("#next").disabled  # no Write with errors
        await pilot.press("ctrl+n")  # refused: focus moves to the findings
        assert app.focused.id == "findings"
        await pilot.press("enter")  # the highlighted (first) finding: the VIP, owned by Network
        await wait_until(pilot, lambda: type(app.screen).__name__ == "NetworkStep", what="go to step")
        assert app.screen.query_one("#f-network-vip").value == "10.25.99.10"
    assert tree(answers_repo) == before


async def test_node_form_adds_and_edits_nodes(answers_repo):
    app = apps_app(answers_repo, "nodes")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await type_into(pilot, "node-f-hostname", "apps-wk-4", keys=False)
        await type_into(pilot, "node-f-address", "10.25.13.17", keys=False)
        await choose(pilot, "node-f-role", "worker")
        await type_into(pilot, "node-f-installDisk", "/dev/sda")
        await pilot.press("enter")  # Enter in the node form saves the node
        await pilot.pause()
        assert "3 control plane(s), 4 worker(s); 0 error(s)" in screen_text(app)
        assert type(app.screen).__name__ == "NodesStep"  # Enter saved the node, it did not go Next
        await type_into(pilot, "node-f-installDisk", "sda")  # a device name, not a path: refused
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.nodes[-1]["installDisk"] == "/dev/sda"
        assert "did you mean /dev/sda?" in screen_text(app)
        await next_step(pilot, "BondingStep")
    assert [n["hostname"] for n in app.draft.nodes][-1] == "apps-wk-4"
