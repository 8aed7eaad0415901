"""The packages import downward only (parsed with ast; nothing is imported).

    schemas  ->  core (skillpulse.domain, extraction, kafka, storage, settings, instance, http)
             ->  parts (producers | stream_processors | batch | dashboard; no part imports another)
             ->  skillpulse.live (the runtime of `up` and `demo`: composes the parts in one process)
             ->  skillpulse.cli (every command; the only importer of live)

Function-level imports count too: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("producers", "stream_processors", "batch", "dashboard")
CORE = ("skillpulse.domain", "skillpulse.extraction", "skillpulse.kafka", "skillpulse.storage",
        "skillpulse.settings", "skillpulse.instance", "skillpulse.http")


def _layer(module: str) -> tuple[int, str] | None:
    """(rank, unit) of a project module; None for third-party and standard-library modules."""
    top = module.split(".")[0]
    if top == "schemas":
        return 0, "schemas"
    if top in PARTS:
        return 2, top
    if top != "skillpulse":
        return None
    if module in ("skillpulse.cli", "skillpulse.__main__") or module.startswith("skillpulse.cli."):
        return 4, "cli"
    if module == "skillpulse.live" or module.startswith("skillpulse.live."):
        return 3, "live"
    if module == "skillpulse" or any(module == c or module.startswith(c + ".") for c in CORE):
        return 1, "core"
    raise AssertionError(f"{module}: not placed in a layer; add it to tests/test_layers.py")


def _modules() -> list[tuple[str, Path]]:
    found = []
    for top in ("schemas", "skillpulse", *PARTS):
        for path in sorted((ROOT / top).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found.append((".".join(parts), path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.append((node.lineno, target))
    return names


MODULES = _modules()


def test_every_package_folder_is_scanned():
    assert len(MODULES) > 60
    assert {"skillpulse.cli", "skillpulse.live.up", "producers.base", "dashboard.app"} <= {m for m, _ in MODULES}


def test_imports_point_downward():
    wrong = []
    for module, path in MODULES:
        rank, unit = _layer(module)
        for line, target in _imports(module, path):
            placed = _layer(target)
            if placed is None or placed[1] == unit:
                continue
            if placed[0] >= rank:
                what = "a sibling part" if placed[0] == rank == 2 else f"a higher layer ({placed[1]})"
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {target}: {what}")
    assert not wrong, "\n".join(wrong)
