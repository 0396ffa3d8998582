"""A Python process that sees only what a plain `pip install communicator-escalation` installs.

`optional_modules()` are the top-level modules of the distributions that only the package's extras
(dev, server) bring, and nothing the package itself requires, however indirectly; `plain_python(...)`
is a command line that runs code with those modules unimportable.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires

from packaging.requirements import Requirement

PACKAGE = "communicator-escalation"


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def _required(distribution: str) -> set[str]:
    """`distribution` and everything it requires without an extra, transitively."""
    seen: set[str] = set()
    pending = [distribution]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            wanted = requires(name) or []
        except PackageNotFoundError:  # an optional dependency of something, not installed here
            continue
        pending += [_name(r) for r in wanted if Requirement(r).marker is None or "extra" not in str(Requirement(r).marker)]
    return seen


def optional_modules() -> list[str]:
    """Top-level modules only the package's extras bring in."""
    extras = {_name(r) for r in requires(PACKAGE) or [] if "extra ==" in r}
    only_extras: set[str] = set()
    for extra in extras:
        only_extras |= _required(extra)
    only_extras -= _required(PACKAGE)
    return sorted(
        module for module, dists in packages_distributions().items()
        if module.isidentifier() and all(_name(d) in only_extras for d in dists)
    )


def plain_python(code: str) -> list[str]:
    """The command that runs `code` in a Python process where `optional_modules()` cannot be imported."""
    block = f"import sys\nfor _m in {optional_modules()!r}:\n    sys.modules[_m] = None\n"
    return [sys.executable, "-c", block + code]
