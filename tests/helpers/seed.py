"""Build a temp copy of the operator's repo (../shared/fixtures/k8s-ops) as the tests' starting state."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SEED = SHARED / "fixtures" / "k8s-ops"

ROOT_TASKFILE = """\
---
version: "3"

vars:
  CLUSTER: '{{.CLUSTER | default "infra"}}'
  ROOT_DIR:
    sh: git rev-parse --show-toplevel
  CLUSTER_DIR: "{{.ROOT_DIR}}/clusters/{{.CLUSTER}}"
  TALOS_DIR: "{{.CLUSTER_DIR}}/talos"
  FLUX_DIR: "{{.CLUSTER_DIR}}/flux"
  KUBECONFIG: "{{.ROOT_DIR}}/.kubeconfig-{{.CLUSTER}}"

env:
  KUBECONFIG: "{{.KUBECONFIG}}"

includes:
  bootstrap: .taskfiles/bootstrap
  talos: .taskfiles/talos
  kubernetes: .taskfiles/kubernetes
  flux: .taskfiles/flux
  volsync: .taskfiles/volsync
  dr: .taskfiles/dr
  op: .taskfiles/op

tasks:
  default:
    cmd: task --list
    silent: true
"""

BOOTSTRAP_TASKFILE = """\
---
version: "3"

tasks:
  talos:
    desc: Bootstrap Talos on {{.CLUSTER}}
    cmds:
      - echo "TODO - bootstrap talos for {{.CLUSTER}}"

  apps:
    desc: Bootstrap apps (helmfile) on {{.CLUSTER}}
    cmds:
      - echo "TODO - bootstrap apps for {{.CLUSTER}}"
"""

PLACEHOLDER_TASKFILE = """\
---
version: "3"

tasks:
  placeholder:
    desc: Placeholder for {{.CLUSTER}}
    cmds:
      - echo "TODO - {{.CLUSTER}}"
"""


def make_seed_repo(dest: Path, *, git: bool = True) -> Path:
    """Copy the seed to ``dest`` with the Taskfiles its README describes, and ``git init`` it."""
    shutil.copytree(SEED, dest, dirs_exist_ok=True)
    (dest / "Taskfile.yaml").write_text(ROOT_TASKFILE)
    for name in ("bootstrap", "talos", "kubernetes", "flux", "volsync", "dr", "op"):
        d = dest / ".taskfiles" / name
        d.mkdir(parents=True, exist_ok=True)
        (d / "Taskfile.yaml").write_text(BOOTSTRAP_TASKFILE if name == "bootstrap" else PLACEHOLDER_TASKFILE)
    if git:
        run = lambda *a: subprocess.run(a, cwd=dest, check=True, capture_output=True)  # noqa: E731
        run("git", "init", "-q", "-b", "main")
        run("git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "add", "-A")
        run("git", "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-q", "-m", "seed")
    return dest
