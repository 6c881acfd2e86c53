"""What keeps tool calls off the critical path: poll pacing by the tools' observed speed, in-process
answers that replace a probe (one ``helm list`` for every release), probes skipped when this run
already proved the answer, and the DAG letting namespaces/CRDs/Cilium start before every node registers."""

from __future__ import annotations

import json

import pytest

from wizard.bootstrap import events as E
from wizard.bootstrap import rules
from wizard.bootstrap.helpers import list_releases, release_deployed
from wizard.bootstrap.model import Cmd, Func, Phase, Retry, Unless
from wizard.bootstrap.phases import applied, build_phases, etcd_probe
from wizard.bootstrap.runner import RunOptions, Runner

COUNT = """
open(sys.argv[1], "a").write("x")
print(sys.argv[2] if len(sys.argv) > 2 else "ok")
"""


async def go(ctx, phases):
    r = Runner(ctx, phases, RunOptions())
    evs: list[E.Event] = []
    r.subscribe(evs.append)
    return await r.run(), evs


def one(pid, *steps):
    return Phase(pid, pid, (), lambda c, s=steps: s, 1, 60)


def test_pace_follows_the_speed_of_the_tool_not_a_speed_flag():
    r = Retry()  # initial 0.2, cap 1.0
    assert r.pace(r.initial, call=0.01, waited=0) == 0.02  # fast tool: polled fast (2 call durations)
    assert r.pace(r.initial, call=0.05, waited=0) < r.pace(r.initial, call=0.1, waited=0)
    assert r.pace(r.initial, call=0.5, waited=0) == 0.5  # never busier than the call itself (50 % duty)
    assert r.pace(5.0, call=3.0, waited=0) == r.cap  # a slow tool never waits beyond the cap
    # a long wait backs off in proportion to the time already waited (a late poll stays a small share)
    assert r.pace(0.9, call=0.01, waited=10) == pytest.approx(0.2)
    assert r.pace(0.9, call=0.01, waited=1000) == 0.9  # the exponential growth goes on ...
    assert r.pace(0.9 * r.factor, call=0.01, waited=1000) == r.cap  # ... up to the cap


async def test_known_answer_replaces_the_probe(make_ctx, fake_bin, tmp_path):
    fake_bin("count", COUNT)
    ctx = make_ctx(fake_bin.env())
    probe, work = tmp_path / "probe", tmp_path / "work"

    def unless(known):
        return Unless(Cmd(("count", str(probe))), (Cmd(("count", str(work))),), done_note="listed as done", known=known)

    fin, evs = await go(ctx, [one("a", unless(lambda c: True))])
    assert fin.ok and not probe.exists() and not work.exists()
    assert any(e.message == "listed as done" for e in evs if isinstance(e, E.PhaseProgress))
    fin, _ = await go(ctx, [one("b", unless(lambda c: False))])
    assert fin.ok and not probe.exists() and work.read_text() == "x"
    fin, _ = await go(ctx, [one("c", unless(lambda c: None))])  # unknown: the probe runs (and succeeds)
    assert fin.ok and probe.read_text() == "x" and work.read_text() == "x"


async def test_marks_only_a_real_success(make_ctx, fake_bin, tmp_path):
    fake_bin("count", COUNT)
    fake_bin("exists", "print('rpc error: code = AlreadyExists desc = etcd data directory is not empty'); sys.exit(1)")
    ctx = make_ctx(fake_bin.env())
    steps = (Cmd(("exists",), rules=rules.BOOTSTRAP, marks="m1"), Cmd(("count", str(tmp_path / "n")), marks="m2"))
    fin, _ = await go(ctx, [one("a", *steps)])
    assert fin.ok and "m1" not in ctx.vars and ctx.vars["m2"] is True


def test_etcd_probe_skipped_only_after_this_run_configured_the_first_cp(make_ctx):
    ctx = make_ctx()
    assert isinstance(etcd_probe(ctx), Cmd)
    ctx.vars[applied(ctx.answers.workers[0].hostname)] = True
    assert isinstance(etcd_probe(ctx), Cmd)  # a worker proves nothing about etcd
    ctx.vars[applied(ctx.answers.first_control_plane.hostname)] = True
    assert etcd_probe(ctx) is None


async def test_one_helm_list_answers_every_release(make_ctx, fake_bin, tmp_path):
    rows = [{"name": "cilium", "namespace": "kube-system", "status": "deployed"},
            {"name": "coredns", "namespace": "kube-system", "status": "failed"}]
    log = tmp_path / "helm-calls"
    fake_bin("helm", f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n'); print({json.dumps(json.dumps(rows))})")
    ctx = make_ctx(fake_bin.env())
    assert release_deployed(ctx, "cilium", "kube-system") is None  # nothing listed yet: probe
    fin, evs = await go(ctx, [one("releases", Func("list", list_releases))])
    assert fin.ok and log.read_text() == "list --all-namespaces --output json\n"
    assert release_deployed(ctx, "cilium", "kube-system") is True
    assert release_deployed(ctx, "coredns", "kube-system") is False  # failed: sync it again
    assert release_deployed(ctx, "cilium", "other") is False
    assert [e.note for e in evs if isinstance(e, E.PhaseDone)] == ["deployed: cilium"]

    fake_bin("helm", "print('Error: Kubernetes cluster unreachable', file=sys.stderr); sys.exit(1)")
    ctx2 = make_ctx(fake_bin.env())
    fin, evs = await go(ctx2, [one("releases", Func("list", list_releases))])
    assert fin.ok  # not fatal: each release then probes itself
    assert release_deployed(ctx2, "cilium", "kube-system") is None
    assert "probed with `helm status`" in [e.note for e in evs if isinstance(e, E.PhaseDone)][0]


def test_only_the_cilium_checks_wait_for_every_node(make_ctx):
    by_id = {p.id: p for p in build_phases(make_ctx())}
    waits_for_nodes = {pid for pid, p in by_id.items() if "nodes" in p.deps}
    assert {"cilium-ready", "flux-sync", "health"} <= waits_for_nodes
    for pid in ("namespaces", "crds", "releases", "app-cilium"):
        assert "nodes" not in by_id[pid].deps, pid
    assert by_id["crds-render"].deps == ("preflight",)  # offline: rendered while the nodes install
    assert "releases" in by_id["app-cilium"].deps  # the listing is back before the first release's probe
