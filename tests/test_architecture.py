"""The code's shape: game families behind one seam, and arrows that flow one way.

Walks the source: no module outside a family's own (a path without `wingo`,
the games registry aside) imports `lottery.games.wingo`, types a game as
`WinGo`, hard-codes ten outcomes or names the WinGo markets; and no import runs
from a lower layer up to a higher one.
"""
from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "lottery"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Return (line, module) of every import in a file, function-level ones included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                # `from lottery.games import wingo` imports the submodule; `from x import f`, x.
                sub = f"{node.module}.{alias.name}"
                out.append((node.lineno, sub if _is_module(sub) else node.module))
    return out


def _is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


# -- game families behind one seam ----------------------------------------------------
WINGO_STRINGS = {"big_small", "top3", "color_rules", "size_rules", "Big", "Small", "Violet"}
WINGO_NAMES = {"BIG", "SMALL", "GREEN", "VIOLET", "DIGITS", "WinGo"}
TEN = re.compile(r"\[0(\.1)?\]\s*\*\s*10\b|log\(10\)|%\s*10\b|range\(10\)")


def _code_only(text: str) -> str:
    """Return the source with comments and string literals (docstrings too) blanked out."""
    lines = text.splitlines(keepends=True)
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type in (tokenize.COMMENT, tokenize.STRING):
            (r0, c0), (r1, c1) = tok.start, tok.end
            for row in range(r0, r1 + 1):
                line = lines[row - 1]
                start = c0 if row == r0 else 0
                end = c1 if row == r1 else len(line.rstrip("\n"))
                lines[row - 1] = line[:start] + " " * (end - start) + line[end:]
    return "".join(lines)


def wingo_problems(path: Path) -> list[str]:
    """Return where a module uses WinGo's rules: imports, its type, its markets, ten outcomes."""
    text = path.read_text()
    problems = [f"line {line}: imports {module}" for line, module in _imports(path)
                if module == "lottery.games.wingo" or module.startswith("lottery.games.wingo.")]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Name) and node.id in WINGO_NAMES or \
                isinstance(node, ast.Attribute) and node.attr in WINGO_NAMES or \
                isinstance(node, ast.alias) and (node.asname or node.name) in WINGO_NAMES:
            problems.append(f"line {getattr(node, 'lineno', '?')}: names WinGo's {ast.dump(node)[:60]}")
        elif isinstance(node, ast.Constant) and node.value in WINGO_STRINGS:
            problems.append(f"line {node.lineno}: names a WinGo market or side {node.value!r}")
    if TEN.search(_code_only(text)):
        problems.append(f"hard-codes ten outcomes: {TEN.search(_code_only(text)).group(0)}")
    return problems


def _generic_modules():
    return [p for p in MODULES if "wingo" not in str(p.relative_to(ROOT))
            and p != PACKAGE / "games" / "__init__.py"]


@pytest.mark.parametrize("path", _generic_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_wingo_rules_outside_wingo_modules(path):
    problems = wingo_problems(path)
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for(tmp_path):
    sample = tmp_path / "lottery" / "x.py"
    sample.parent.mkdir()
    sample.write_text('"""WinGo: docs may say big_small and [0] * 10."""\n'
                      "from lottery.games.wingo import BIG\n"
                      "def f(game: WinGo):\n    return [0] * 10, game.market('big_small')\n")
    found = "\n".join(wingo_problems(sample))
    for what in ("imports lottery.games.wingo", "WinGo", "'big_small'", "ten outcomes"):
        assert what in found
    clean = tmp_path / "lottery" / "y.py"
    clean.write_text('"""WinGo, big_small and [0] * 10 in prose only."""\nx = [0] * 100  # % 10\n')
    assert wingo_problems(clean) == []


# -- arrows flow one way ---------------------------------------------------------------
# games <- predictors, evaluation, simulator engine <- store, sources <- workers <- web, bot,
# commands. Utilities (settings, key names, logging, the loop) sit under everything.
LAYERS = [
    ("lottery.config", 0), ("lottery.keys", 0), ("lottery.logs", 0), ("lottery.loop", 0),
    ("lottery.metrics", 0),
    ("lottery.httputil", 0),
    ("lottery.games", 0),
    ("lottery.predictors", 1), ("lottery.evaluation", 1), ("lottery.sim.engine", 1),
    ("lottery.sim.strategies", 1), ("lottery.sim.montecarlo", 1), ("lottery.sim.params", 1),
    ("lottery.sim.crash_strategies", 1), ("lottery.sim.crash_montecarlo", 1),
    ("lottery.sim.words", 1),
    ("lottery.ai.wingo_parse", 1), ("lottery.ai.wingo_prompt", 1), ("lottery.ai.wingo", 1),
    ("lottery.store", 2), ("lottery.sources", 2), ("lottery.events", 2), ("lottery.ai.store", 2),
    ("lottery.ai.provider", 2), ("lottery.sim.sessions", 2), ("lottery.sim.backtest", 2),
    ("lottery.sim.jobs", 2), ("lottery.sim.crash_replay", 2), ("lottery.sim.crash_sessions", 2),
    ("lottery.reports", 3), ("lottery.worker", 3), ("lottery.ai.worker", 3),
    ("lottery.sim.worker", 3), ("lottery.ai", 3), ("lottery.sim", 3), ("lottery.alerts", 3),
    ("lottery.web", 4), ("lottery.bot", 4), ("lottery.commands", 4), ("lottery.cli", 4),
    ("lottery.runner", 4), ("lottery.__main__", 4), ("lottery", 4),
]


def layer_of(module: str) -> int | None:
    """Return the layer of a lottery module (the longest matching prefix), None outside."""
    best = None
    for prefix, layer in LAYERS:
        if module == prefix or module.startswith(prefix + "."):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, layer)
    return None if best is None else best[1]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_never_run_up_the_layers(path):
    me = _name(path)
    mine = layer_of(me)
    upward = []
    for line, module in _imports(path):
        if not module.startswith("lottery") or module == "lottery":
            continue
        theirs = layer_of(module)
        if theirs is not None and mine is not None and theirs > mine:
            upward.append(f"line {line}: {me} (layer {mine}) imports {module} (layer {theirs})")
    assert not upward, "\n".join(upward)


def test_every_module_has_a_layer():
    assert all(layer_of(_name(p)) is not None for p in MODULES)
    assert layer_of("lottery.games.wingo") == 0 and layer_of("lottery.web.api") == 4
    assert layer_of("lottery.store.draws") == 2 > layer_of("lottery.evaluation.stats")
