"""Runner behaviour on small fake tools: classification (retry / done / fix / stop), DAG concurrency,
streaming (long lines, ANSI), redaction in journal and log, cancellation killing the process group,
and resume / --from / --only selection."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from tests.helpers.pem import begin, end
from wizard.bootstrap import events as E
from wizard.bootstrap import journal, rules
from wizard.bootstrap.model import Action, Cmd, Func, Parallel, Phase, Retry, Rule, Stdin, StepError
from wizard.bootstrap.runner import RunOptions, Runner

FLAKY = """
counter, fails, msg = sys.argv[1], int(sys.argv[2]), sys.argv[3]
n = int(open(counter).read()) if os.path.exists(counter) else 0
open(counter, "w").write(str(n + 1))
if n < fails:
    print(msg, file=sys.stderr)
    sys.exit(1)
print("ok after", n + 1)
"""
FAST = Retry(initial=0.01, cap=0.02, deadline=20)


def phase(pid, steps, deps=(), **kw):
    return Phase(pid, pid.title(), tuple(deps), lambda c, s=tuple(steps): s, 1, kw.pop("timeout", 60), **kw)


async def go(ctx, phases, **opt):
    r = Runner(ctx, phases, RunOptions(**opt))
    evs: list[E.Event] = []
    r.subscribe(evs.append)
    fin = await r.run()
    return fin, evs, r


def of(evs, kind):
    return [e for e in evs if isinstance(e, kind)]


async def test_transient_error_is_retried_then_succeeds(make_ctx, fake_bin, tmp_path):
    fake_bin("flaky", FLAKY)
    ctx = make_ctx(fake_bin.env())
    cmd = Cmd(("flaky", str(tmp_path / "n"), "2", "rpc error: code = Unavailable desc = connection refused"),
              rules=rules.TRANSIENT, retry=FAST)
    fin, evs, _ = await go(ctx, [phase("one", [cmd])])
    assert fin.ok
    assert [e.attempt for e in of(evs, E.PhaseRetry)] == [1, 2]
    recs = journal.read(ctx.state_dir / "journal.jsonl")
    assert [r["rc"] for r in recs if r["ev"] == "cmd"] == [1, 1, 0]


async def test_already_exists_is_treated_as_done(make_ctx, fake_bin, tmp_path):
    fake_bin("flaky", FLAKY)
    ctx = make_ctx(fake_bin.env())
    cmd = Cmd(("flaky", str(tmp_path / "n"), "5", "error executing bootstrap: rpc error: code = AlreadyExists desc = "
               "etcd data directory is not empty"), rules=rules.BOOTSTRAP, retry=FAST)
    fin, evs, _ = await go(ctx, [phase("etcd", [cmd])])
    assert fin.ok
    assert (tmp_path / "n").read_text() == "1"  # not retried
    assert any("treated as done" in e.message for e in of(evs, E.PhaseProgress))


async def test_fatal_error_stops_with_remedy_and_dependents_never_start(make_ctx, fake_bin, tmp_path):
    fake_bin("flaky", FLAKY)
    ctx = make_ctx(fake_bin.env())
    bad = Cmd(("flaky", str(tmp_path / "n"), "9", "rpc error: code = InvalidArgument desc = configuration validation failed"),
              rules=rules.APPLY_CONFIG, retry=FAST)
    later = Cmd(("flaky", str(tmp_path / "m"), "0", "-"))
    fin, evs, _ = await go(ctx, [phase("apply", [bad]), phase("etcd", [later], deps=["apply"])])
    assert not fin.ok and fin.failed_phase == "apply"
    failed = of(evs, E.PhaseFailed)[0]
    assert failed.rc == 1 and "re-render" in failed.remedy and "flaky" in failed.command
    assert any("InvalidArgument" in line for line in failed.last_lines)
    assert not (tmp_path / "m").exists()
    assert "etcd" not in {e.phase for e in of(evs, E.PhaseStarted)}


async def test_retry_gives_up_at_the_deadline(make_ctx, fake_bin, tmp_path):
    fake_bin("flaky", FLAKY)
    ctx = make_ctx(fake_bin.env())
    cmd = Cmd(("flaky", str(tmp_path / "n"), "999", "dial tcp 10.0.0.1:6443: connect: connection refused"),
              rules=rules.TRANSIENT, retry=Retry(initial=0.01, cap=0.05, deadline=0.3))
    fin, evs, _ = await go(ctx, [phase("wait", [cmd])])
    assert not fin.ok
    assert "gave up after" in of(evs, E.PhaseFailed)[0].reason


async def test_fix_runs_then_the_command_is_retried(make_ctx, fake_bin, tmp_path):
    fake_bin("flaky", FLAKY)
    ctx = make_ctx(fake_bin.env())
    fixed = []

    async def fix(c, run):
        r = await run(Cmd(("flaky", str(tmp_path / "fix"), "0", "-")))
        fixed.append(r.rc)

    rule = Rule(r"another operation", Action.FIX, "pending release", fix=Func("recover", fix))
    cmd = Cmd(("flaky", str(tmp_path / "n"), "1", "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) "
               "is in progress"), rules=(rule,), retry=FAST)
    fin, _, _ = await go(ctx, [phase("app", [cmd])])
    assert fin.ok and fixed == [0]


async def test_independent_phases_and_branches_overlap(make_ctx, fake_bin):
    fake_bin("nap", "time.sleep(float(sys.argv[1]))")
    ctx = make_ctx(fake_bin.env())
    par = Parallel("nodes", tuple((Cmd(("nap", "0.4"), node=f"n{i}"),) for i in range(3)))
    phases = [phase("a", [Cmd(("nap", "0.4"))]), phase("b", [par]), phase("c", [Cmd(("nap", "0"))], deps=["a", "b"])]
    fin, evs, _ = await go(ctx, phases)
    assert fin.ok
    spans = {}
    for e in evs:
        if isinstance(e, E.CommandStarted):
            spans.setdefault(e.phase, []).append([e.t, None])
        elif isinstance(e, E.CommandFinished):
            next(s for s in spans[e.phase] if s[1] is None)[1] = e.t
    a, bs = spans["a"][0], spans["b"]
    assert all(b[0] < a[1] for b in bs)  # b's branches started before a finished
    assert max(b[0] for b in bs) < min(b[1] for b in bs)  # the three branches ran together
    assert spans["c"][0][0] >= max(a[1], *(b[1] for b in bs))  # c waited for both


async def test_long_lines_ansi_and_redaction(make_ctx, fake_bin, tmp_path):
    ident = "AGE-SECRET-KEY-1" + "Q" * 58
    body = (
        "print('\\x1b[32mgreen\\x1b[0m ok')\n"
        "print('x' * 200000)\n"
        f"print('key {ident}')\n"
        f"print('{begin('OPENSSH')}')\nprint('b3BlbnNzaC1rZXktdjEAAAAA')\n"
        f"print('{end('OPENSSH')}')\n"
        "print('token: ops_' + 'a' * 30)\n"
        "print('known value', os.environ['KNOWN'])\n"
    )
    fake_bin("talky", body)
    ctx = make_ctx({**fake_bin.env(), "KNOWN": "s3cr3t-deploy-value"})
    ctx.redactor.add("s3cr3t-deploy-value")
    fin, evs, r = await go(ctx, [phase("talk", [Cmd(("talky",))])])
    assert fin.ok
    lines = [e.text for e in of(evs, E.OutputLine)]
    assert lines[0] == "green ok"
    assert len(lines[1]) < 5000 and lines[1].endswith("(truncated)")
    text = "\n".join(lines)
    log = next((ctx.state_dir / "logs").glob("*.log")).read_text()
    jr = (ctx.state_dir / "journal.jsonl").read_text()
    for blob in (text, log, jr):
        assert "AGE-SECRET-KEY-1Q" not in blob and "b3BlbnNzaC1rZXkt" not in blob
        assert "ops_aaaa" not in blob and "s3cr3t-deploy-value" not in blob
    assert "[REDACTED]" in text


async def test_stdin_is_piped_and_never_journaled(make_ctx, fake_bin, tmp_path):
    fake_bin("sink", "data = sys.stdin.read()\nopen(sys.argv[1], 'w').write(data)\nprint('applied', len(data))")
    ctx = make_ctx(fake_bin.env())
    secret = "stringData:\n  identity: very-secret-material-123\n"
    cmd = Cmd(("sink", str(tmp_path / "got")), stdin=Stdin("(decrypted secret, in memory)", lambda c: secret))
    fin, _, _ = await go(ctx, [phase("secrets", [cmd])])
    assert fin.ok and (tmp_path / "got").read_text() == secret
    jr = (ctx.state_dir / "journal.jsonl").read_text()
    assert "very-secret-material" not in jr and "(decrypted secret, in memory)" in jr


async def test_cancel_kills_the_process_group(make_ctx, fake_bin, tmp_path):
    fake_bin("forky", "import subprocess\nc = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
                      "open(sys.argv[1], 'w').write(str(c.pid))\ntime.sleep(60)")
    ctx = make_ctx(fake_bin.env())
    pidfile = tmp_path / "child.pid"
    r = Runner(ctx, [phase("long", [Cmd(("forky", str(pidfile)), timeout=120)])])
    task = asyncio.ensure_future(r.run())
    for _ in range(400):
        if pidfile.exists() and pidfile.read_text():
            break
        await asyncio.sleep(0.02)
    child = int(pidfile.read_text())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for _ in range(200):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        await asyncio.sleep(0.02)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the tool's child process survived the cancel")
    recs = journal.read(ctx.state_dir / "journal.jsonl")
    assert recs[-1]["ev"] == "run-end" and recs[-1]["interrupted"] is True


async def test_resume_from_and_only_select_phases(make_ctx, fake_bin, tmp_path):
    fake_bin("flaky", FLAKY)
    ctx = make_ctx(fake_bin.env())

    def mk(fail_b: bool):
        return [phase(p, [Cmd(("flaky", str(tmp_path / p), "9" if (p == "b" and fail_b) else "0", "boom"), retry=FAST)],
                      deps=[d] if d else []) for p, d in (("a", None), ("b", "a"), ("c", "b"))]

    fin, _, _ = await go(ctx, mk(True))
    assert fin.failed_phase == "b"
    assert journal.completed(journal.read(ctx.state_dir / "journal.jsonl")) == {"a"}
    (tmp_path / "b").unlink()
    fin, evs, _ = await go(ctx, mk(False), resume=True)
    assert fin.ok and [e.phase for e in of(evs, E.PhaseStarted)] == ["b", "c"]
    assert (tmp_path / "a").read_text() == "1"  # a ran only in the first run
    fin, evs, _ = await go(ctx, mk(False), only="b")
    assert fin.ok and [e.phase for e in of(evs, E.PhaseStarted)] == ["b"]
    fin, evs, _ = await go(ctx, mk(False), from_phase="b")
    assert [e.phase for e in of(evs, E.PhaseStarted)] == ["b", "c"]
    # --only skips are not "completed": a resume after an --only run still knows the real state
    recs = journal.read(ctx.state_dir / "journal.jsonl")
    assert {r["phase"] for r in recs if r["ev"] == "phase-skip" and r.get("selected") is False} == {"a", "c"}


async def test_operator_retry_and_skip_via_on_failure(make_ctx, fake_bin, tmp_path):
    fake_bin("flaky", FLAKY)
    ctx = make_ctx(fake_bin.env())
    answers = iter(["retry", "skip"])
    seen = []

    async def decide(ev):
        seen.append(ev.phase)
        return next(answers)

    p1 = phase("x", [Cmd(("flaky", str(tmp_path / "x"), "1", "boom"), retry=Retry(deadline=0))])
    p2 = phase("h", [Cmd(("flaky", str(tmp_path / "h"), "9", "boom"), retry=Retry(deadline=0))], deps=["x"], skippable=True)
    fin, evs, _ = await go(ctx, [p1, p2], on_failure=decide)
    assert seen == ["x", "h"] and fin.ok
    assert of(evs, E.PhaseSkipped)[-1].reason == "skipped by the operator"


async def test_step_error_from_stdin_producer_fails_the_phase(make_ctx, fake_bin):
    fake_bin("sink", "sys.stdin.read()")
    ctx = make_ctx(fake_bin.env())

    def boom(c):
        raise StepError("cannot decrypt bootstrap/apps/github-deploy-key.sops.yaml", "set SOPS_AGE_KEY_FILE")

    fin, evs, _ = await go(ctx, [phase("secrets", [Cmd(("sink",), stdin=Stdin("x", boom))])])
    f = of(evs, E.PhaseFailed)[0]
    assert not fin.ok and f.remedy == "set SOPS_AGE_KEY_FILE"
    assert json.loads((ctx.state_dir / "journal.jsonl").read_text().splitlines()[-1])["ev"] == "run-end"
