"""The ``bootstrap:<name>`` Task: one parameterised task per cluster in .taskfiles/bootstrap/Taskfile.yaml
(it runs ``k8s-wizard bootstrap <name>``, so Task users get the same journal and resume), and the
root Taskfile's include. The rest of both files is kept as it is (ruamel round trip)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from wizard.render import RenderError, RenderedFile

BOOTSTRAP_TASKFILE = ".taskfiles/bootstrap/Taskfile.yaml"
ROOT_TASKFILES = ("Taskfile.yaml", "Taskfile.yml", "taskfile.yaml", "taskfile.yml")


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)  # the seed's style: sequences indented under their key
    return y


def _load(text: str, where: str) -> Any:
    try:
        return _yaml().load(text)
    except Exception as exc:  # ruamel raises many types; all mean "not YAML we can edit"
        raise RenderError(f"{where}: not valid YAML ({' '.join(str(exc).split())}); fix it, then re-run", 1) from None


def _dump(doc: Any, original: str) -> str:
    y = _yaml()
    y.explicit_start = original.lstrip().startswith("---")
    buf = io.StringIO()
    y.dump(doc, buf)
    return buf.getvalue()


def task_for(cluster: str) -> CommentedMap:
    cmd = f"k8s-wizard bootstrap {cluster} {{{{.CLI_ARGS}}}}"
    pre = CommentedMap([("sh", "command -v k8s-wizard"),
                        ("msg", "k8s-wizard is not on PATH: install it (pip install k8s-wizard) or activate its virtualenv")])
    return CommentedMap([
        ("desc", f"Bootstrap cluster {cluster} (Talos, apps, Flux) with k8s-wizard; re-run to resume"),
        ("cmds", CommentedSeq([cmd])),
        ("preconditions", CommentedSeq([pre])),
    ])


def _commands(task: Any) -> list[str]:
    if isinstance(task, str):
        return [task]
    if not isinstance(task, dict):
        return []
    cmds = task.get("cmds") or ([task["cmd"]] if task.get("cmd") else [])
    return [c if isinstance(c, str) else str((c or {}).get("cmd", c)) for c in cmds]


def is_placeholder(task: Any) -> bool:
    """A task that only echoes (the seed's ``talos``/``apps`` TODOs): safe to replace."""
    cmds = _commands(task)
    others = set(task) - {"desc", "summary", "cmds", "cmd", "silent", "vars"} if isinstance(task, dict) else set()
    return bool(cmds) and not others and all(re.match(r"^\s*echo(\s|$)", c) for c in cmds)


def _is_ours(task: Any, cluster: str) -> bool:
    return any(re.match(rf"^\s*k8s-wizard\s+bootstrap\s+{re.escape(cluster)}(\s|$)", c) for c in _commands(task))


def bootstrap_task_files(repo: Path, cluster: str, *, force: bool = False) -> list[RenderedFile]:
    """The two Taskfiles as they should be (unchanged when they already are)."""
    return [_bootstrap_taskfile(repo, cluster, force), _root_taskfile(repo)]


def _bootstrap_taskfile(repo: Path, cluster: str, force: bool) -> RenderedFile:
    path = repo / BOOTSTRAP_TASKFILE
    original = path.read_text(encoding="utf-8") if path.exists() else '---\nversion: "3"\n\ntasks: {}\n'
    doc = _load(original, BOOTSTRAP_TASKFILE)
    if not isinstance(doc, CommentedMap):
        raise RenderError(f"{BOOTSTRAP_TASKFILE}: must be a mapping with version and tasks", 1)
    tasks = doc.get("tasks")
    if tasks is None or not isinstance(tasks, CommentedMap) or not tasks:
        tasks = doc["tasks"] = CommentedMap() if not isinstance(tasks, CommentedMap) else tasks
        tasks.fa.set_block_style()
    note = ""
    wanted = task_for(cluster)
    current = tasks.get(cluster)
    if current is None:
        tasks[cluster] = wanted
        note = f"adds task bootstrap:{cluster}"
    elif _is_ours(current, cluster) or current == wanted:
        if _commands(current) != _commands(wanted) or current.get("desc") != wanted["desc"]:
            tasks[cluster] = wanted
            note = f"updates task bootstrap:{cluster}"
    elif is_placeholder(current):
        tasks[cluster] = wanted
        note = f"replaces placeholder task bootstrap:{cluster} (it only echoed: {_commands(current)[0].strip()!r})"
    elif force:
        tasks[cluster] = wanted
        note = f"replaces task bootstrap:{cluster} (--force; it ran: {'; '.join(_commands(current)) or 'no commands'})"
    else:
        raise RenderError(
            f"{BOOTSTRAP_TASKFILE}: task {cluster!r} already exists and does real work "
            f"({'; '.join(_commands(current)) or 'no commands'}), so `task bootstrap:{cluster}` cannot be added. "
            "Rename that task, or pass --force to replace it.", 1)
    text = _spaced(_dump(doc, original), cluster) if note or not path.exists() else original
    return RenderedFile(BOOTSTRAP_TASKFILE, text, note=note)


def _spaced(text: str, cluster: str) -> str:
    """A blank line before our task and before the task after it (the seed's style); ruamel loses
    the blank line that belonged to a replaced task."""
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if line == f"  {cluster}:"), None)
    if start is None:
        return text
    after = next((i for i in range(start + 1, len(lines)) if re.match(r"^  \S", lines[i])), None)
    for i in sorted({start, after} - {None}, reverse=True):
        if lines[i - 1].strip() and not lines[i - 1].startswith("tasks:"):
            lines.insert(i, "")
    return "\n".join(lines)


def _root_taskfile(repo: Path) -> RenderedFile:
    found = next((n for n in ROOT_TASKFILES if (repo / n).exists()), None)
    if found is None:
        text = '---\nversion: "3"\n\nincludes:\n  bootstrap: .taskfiles/bootstrap\n'
        return RenderedFile("Taskfile.yaml", text, note="created with the bootstrap include")
    original = (repo / found).read_text(encoding="utf-8")
    doc = _load(original, found)
    if not isinstance(doc, CommentedMap):
        raise RenderError(f"{found}: must be a mapping with version and includes", 1)
    includes = doc.get("includes")
    if isinstance(includes, dict) and "bootstrap" in includes:
        return RenderedFile(found, original)
    if not isinstance(includes, CommentedMap):
        includes = CommentedMap()
        doc.insert(list(doc).index("tasks") if "tasks" in doc else len(doc), "includes", includes)
    includes["bootstrap"] = ".taskfiles/bootstrap"
    return RenderedFile(found, _dump(doc, original), note="adds the include bootstrap: .taskfiles/bootstrap")
