"""No English sentence shown to a user is built in a `.py` file: the words live in prompts/ (issue 9).

The package's source is parsed with `ast`; every string constant and f-string with three or more
words is a finding, except:

- docstrings and other bare string statements (attribute docstrings), and messages of logging calls;
- documentation of a schema, a CLI option or an API route: the `description=`, `help=`, `summary=` and
  `title=` arguments, and `"description"` entries of OpenAPI response dicts;
- messages of Python's programmer-error exceptions (AssertionError, AttributeError, NotImplementedError,
  RuntimeError, TypeError): they report a bug to a developer, never an outcome to a CSM;
- regular expressions (the pattern of a `re` call) and SQL (text with an upper-case SQL keyword, or a
  column list);
- the entries of `ALLOWED` below, each with the reason it is not text shown to a user.

A word is a run of two or more letters (apostrophes and hyphens inside); an f-string's `{...}` counts as a word
when its literal parts hold at least two (so `api:{}:{}` is not prose, `response {} cancelled` is).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import communicator_escalation

PACKAGE = Path(communicator_escalation.__file__).resolve().parent

ALLOWED: dict[tuple[str, str], str] = {
    ("store/world/synthetic.py", "*"): "generated world records (benchmark data written to a world file), not text of the product",
    ("workflow/context/mentions.py", "*"): "vocabularies a CSM's message is matched against; never shown",
    ("workflow/drafting/voices.py", "*"): "word lists that classify quoted customer text; never shown",
    ("workflow/drafting/grounding.py", "_COMMON_WORDS"): "words an email capitalises that are not names; never shown",
    ("workflow/review/recipients.py", "_MANAGER_WORDS"): "phrases a CSM may type to mean the manager; read, never shown",
    ("workflow/drafting/deadline.py", "find_deadline"): "deadline cue words read in the customer's email; never shown",
    ("agent/turns.py", "_REJECT_WORDS"): "words a CSM may type to reject a send; read, never shown",
    ("api/errors.py", "ERROR_RESPONSES"): "OpenAPI descriptions of the error statuses: API documentation, as `description=`",
    ("mail/gmail.py", "SingleAttemptHttp"): "httplib2's own wording of ServerNotFoundError (a library exception this transport mimics); quoted only as a detail",
}

_LOGGING = {"debug", "info", "warning", "error", "exception", "critical", "log"}
_DOC_KEYWORDS = {"description", "help", "summary", "title"}
_DEVELOPER_ERRORS = {"AssertionError", "AttributeError", "NotImplementedError", "RuntimeError", "TypeError"}
_SQL_KEYWORD = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|JOIN|AND|OR|IN|IS|AS|NOT|NULL|EXISTS|DISTINCT|EXCLUDED|FOR|"
    r"ADD COLUMN|ANY|LIMIT|ORDER BY|GROUP BY|SET|VALUES|RETURNING|WITH|CREATE|ALTER|DROP|ANALYZE|COPY|LOCK)\b"
)
_COLUMN_LIST = re.compile(r"^\s*[\w.]+(\s+AS\s+\w+)?(\s*,\s*[\w.]+(\s+AS\s+\w+)?)+\s*$")
_WORD = re.compile(r"^[A-Za-z][A-Za-z'’-]+$")
_PUNCTUATION = " \t\n.,;:!?()[]\"'`«»“”…"


@dataclass(frozen=True)
class Finding:
    """One literal that reads as prose, where it is."""

    path: str
    owner: str
    line: int
    text: str


def _words(parts: list[str | None]) -> int:
    """Words in an f-string's parts (None: a `{...}` hole) or a constant's one part."""
    real = sum(1 for part in parts if part is not None for token in part.split() if _WORD.match(token.strip(_PUNCTUATION)))
    return real + (sum(1 for part in parts if part is None) if real >= 2 else 0)


def _is_code(text: str) -> bool:
    return bool(_SQL_KEYWORD.search(text) or _COLUMN_LIST.match(text))


def _exempt_nodes(tree: ast.AST) -> set[int]:
    """Ids of the nodes inside docstrings, logging calls, documentation, developer errors and regexes."""
    exempt: set[int] = set()

    def exempt_all(node: ast.AST) -> None:
        exempt.update(id(child) for child in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            exempt_all(node)
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in _LOGGING and "log" in ast.unparse(func.value).lower():
                exempt_all(node)
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "re" and node.args:
                exempt_all(node.args[0])
            if isinstance(func, ast.Name) and func.id in _DEVELOPER_ERRORS:
                exempt_all(node)
            for keyword in node.keywords:
                if keyword.arg in _DOC_KEYWORDS:
                    exempt_all(keyword.value)
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "description":
                    exempt_all(value)
    return exempt


def _owners(tree: ast.Module) -> Iterator[tuple[str, ast.AST]]:
    """Each top-level statement with the name it defines (function, class or assigned name)."""
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield statement.name, statement
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            yield next((t.id for t in targets if isinstance(t, ast.Name)), ""), statement
        else:
            yield "", statement


def scan(path: Path, root: Path = PACKAGE) -> tuple[int, list[Finding]]:
    """(string literals looked at, findings) of one module; paths are relative to `root`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    exempt = _exempt_nodes(tree)
    relative = path.relative_to(root).as_posix()
    seen, findings = 0, []
    for owner, statement in _owners(tree):
        for node in ast.walk(statement):
            if id(node) in exempt:
                continue
            if isinstance(node, ast.JoinedStr):
                exempt.update(id(child) for child in ast.walk(node))
                parts = [v.value if isinstance(v, ast.Constant) else None for v in node.values]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                parts = [node.value]
            else:
                continue
            seen += 1
            text = "".join("{}" if part is None else part for part in parts)
            if _words(parts) >= 3 and not _is_code(text):
                findings.append(Finding(relative, owner, node.lineno, text))
    return seen, findings


def _allowed(finding: Finding) -> bool:
    return (finding.path, "*") in ALLOWED or (finding.path, finding.owner) in ALLOWED


def test_no_prose_is_built_in_python() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    results = [scan(path) for path in modules]
    findings = [f for _, found in results for f in found if not _allowed(f)]
    assert sum(seen for seen, _ in results) > 1000, "the scan must look at the whole package"
    assert not findings, "prose built in Python (move it to prompts/):\n" + "\n".join(
        f"{f.path}:{f.line} ({f.owner or 'module'}): {f.text[:100]!r}" for f in findings
    )


def test_every_allow_list_entry_is_needed_and_says_why() -> None:
    used = {(f.path, "*" if (f.path, "*") in ALLOWED else f.owner)
            for path in sorted(PACKAGE.rglob("*.py")) for f in scan(path)[1] if _allowed(f)}
    assert set(ALLOWED) == used, f"allow-list entries that allow nothing: {sorted(set(ALLOWED) - used)}"
    assert all(len(reason.split()) >= 5 for reason in ALLOWED.values())


def test_the_scan_finds_prose(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring may say anything at all."""\n'
        "import logging\n"
        "def f(name):\n"
        '    logging.getLogger().info("this is logged, not shown")\n'
        '    raise ValueError(f"no customer called {name} was found")\n'
        'SQL = "SELECT id FROM customers WHERE name = %s"\n'
        'HELP = dict(help="documentation of an option")\n',
        encoding="utf-8",
    )
    seen, found = scan(sample, tmp_path)
    assert seen == 2
    assert [(f.owner, f.text) for f in found] == [("f", "no customer called {} was found")]
