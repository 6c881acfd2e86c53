"""``--dry-run``: the full command plan of a bootstrap, in order, without running anything."""

from __future__ import annotations

import shlex

from wizard.bootstrap.console import fmt_duration
from wizard.bootstrap.model import Cmd, Context, Func, Parallel, Phase, Step, Unless


def _shell(ctx: Context, cmd: Cmd) -> str:
    root = str(ctx.repo) + "/"
    text = " ".join(shlex.quote(a.replace(root, "") if a.startswith(root) else a) for a in cmd.argv)
    if cmd.more_args:
        text += f" {cmd.more_args_desc}"
    if cmd.cwd is not None:
        text = f"(cd {shlex.quote(str(cmd.cwd).replace(root, ''))} && {text})"
    if cmd.stdin:
        text += f" <<< {cmd.stdin.describe}"
    if cmd.capture:
        text += f"   # output kept in memory ({'secret, ' if cmd.secret_output else ''}{cmd.capture})"
    if cmd.when is not None:
        text += "   # only when needed"
    if cmd.retry.deadline > 0 and any(r.action.value in ("retry", "confirm") for r in cmd.rules) or cmd.ok_retry:
        text += f"   # retried with backoff up to {fmt_duration(cmd.retry.deadline)}"
    return text


def _lines(ctx: Context, step: Step, indent: str) -> list[str]:
    if isinstance(step, Cmd):
        return [f"{indent}{_shell(ctx, step)}"]
    if isinstance(step, Func):
        return [f"{indent}[in-process] {step.label}"]
    if isinstance(step, Unless):
        out = [f"{indent}unless `{_shell(ctx, step.probe)}` succeeds:"]
        for s in step.steps:
            out += _lines(ctx, s, indent + "  ")
        return out
    if isinstance(step, Parallel):
        out = [f"{indent}in parallel ({step.label}):"]
        for branch in step.branches:
            if len(branch) > 1:  # a sequence: a header (the node it runs for), then its steps in order
                node = next((s.node for s in branch if isinstance(s, Cmd) and s.node), None)
                out.append(f"{indent}  - {node + ', in order' if node else 'in order'}:")
                for s in branch:
                    out += _lines(ctx, s, indent + "      ")
                continue
            sub = _lines(ctx, branch[0], indent + "    ")
            sub[0] = indent + "  - " + sub[0].lstrip()
            out += sub
        return out
    raise TypeError(step)


def render_plan(ctx: Context, phases: list[Phase]) -> str:
    a = ctx.answers
    out = [
        f"# k8s-wizard bootstrap {a.name}: command plan (dry run, nothing is executed)",
        f"# repo: {ctx.repo} (paths below are relative to it)",
        f"# KUBECONFIG={ctx.kubeconfig}  talosconfig={ctx.talosconfig}",
        f"# etcd bootstrap and kubeconfig target the first control plane {ctx.first_cp} "
        f"({a.first_control_plane.hostname}), never the VIP {a.network.vip}",
        "",
    ]
    for i, p in enumerate(phases, 1):
        deps = f", after {', '.join(p.deps)}" if p.deps else ""
        out.append(f"{i}. {p.id}: {p.title} (est. {fmt_duration(p.estimate)}, timeout {fmt_duration(p.timeout)}{deps})")
        if p.probe is not None:
            probe = p.probe(ctx)
            desc = _shell(ctx, probe) if isinstance(probe, Cmd) else p.probe_desc
            out.append(f"   skip the phase if: {desc}")
        for step in p.steps(ctx):
            out += _lines(ctx, step, "   ")
        out.append("")
    return "\n".join(out)
