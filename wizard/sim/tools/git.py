"""Fake ``git`` for the remote only: ``ls-remote`` answers from the simulated remote's branches and
``push`` records a push; every local subcommand (status, rev-parse, commit...) runs the real git found
after the shims on PATH, since it touches no cluster and the runner's repository checks need it."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

from wizard.sim.args import parse
from wizard.sim.main import Fail

REMOTE = {"ls-remote", "push", "fetch", "pull", "clone"}


def _repo_id(url: str) -> str:
    u = url.strip().rstrip("/")
    u = u[:-4] if u.endswith(".git") else u
    u = u.replace("git@github.com:", "github.com/").split("://", 1)[-1].split("@", 1)[-1]
    return u.lower()


def _sha(url: str, branch: str, pushes: int) -> str:
    return hashlib.sha1(f"{url}@{branch}#{pushes}".encode()).hexdigest()


def ls_remote(call, a) -> int:
    if not a.pos[1:]:
        raise Fail("fatal: No remote configured to list refs from.", 128)
    url, patterns = a.pos[1], a.pos[2:]
    with call.state(write=False) as st:
        g = st["git"]
    if _repo_id(url) != _repo_id(g["url"]):
        raise Fail("ERROR: Repository not found.\nfatal: Could not read from remote repository.\n\nPlease make sure you "
                   "have the correct access rights\nand the repository exists.", 128)
    branches = [] if "branch_missing" in call.forced else g["branches"]
    refs = [f"refs/heads/{b}" for b in sorted(branches)]
    if not a.flag("heads") and not a.flag("branches"):
        refs = ["HEAD", *refs]
    if patterns:
        refs = [r for r in refs if any(r == p or r.endswith("/" + p) for p in patterns)]
    for r in refs:
        b = g["branches"][0] if r == "HEAD" else r.split("/", 2)[2]
        call.out(f"{_sha(g['url'], b, g.get('pushes', 0))}\t{r}")
    if not refs and a.flag("exit-code"):
        return 2
    return 0


def push(call, a) -> int:
    rest = [p for p in a.pos[1:]]
    branch = rest[1].split(":")[-1] if len(rest) > 1 else "main"
    with call.state() as st:
        g = st["git"]
        new = branch not in g["branches"]
        if new:
            g["branches"].append(branch)
        g["pushes"] = g.get("pushes", 0) + 1
        url = g["url"]
    call.err(f"To {url}")
    call.err(f" * [new branch]      {branch} -> {branch}" if new else f"   0000000..{_sha(url, branch, 1)[:7]}  "
             f"{branch} -> {branch}")
    return 0


def passthrough(call) -> int:
    from wizard.sim import ENV_BIN

    shim_dir = call.env.get(ENV_BIN, "")
    path = os.pathsep.join(p for p in call.env.get("PATH", "").split(os.pathsep)
                           if p and (not shim_dir or os.path.abspath(p) != os.path.abspath(shim_dir)))
    real = shutil.which("git", path=path)
    if real is None:
        raise Fail("git: no real git found on PATH after the simulator's shims", 127)
    return subprocess.run([real, *call.argv]).returncode


def run(call) -> int:
    a = parse(call.argv, values={"C", "c", "git-dir", "work-tree"})
    sub = a.pos[0] if a.pos else ""
    if sub not in REMOTE or a.flag("version"):
        call.sub = sub or "version"
        return passthrough(call)
    if sub in ("fetch", "pull", "clone"):
        call.begin(sub)
        raise Fail(f"git {sub}: the simulated remote only answers ls-remote and push", 1)
    call.begin(sub)
    return ls_remote(call, a) if sub == "ls-remote" else push(call, a)
