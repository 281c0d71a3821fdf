"""The code's shape: game families behind one seam, and arrows that flow one way.

Walks the source: no module outside a family's own (a path without `wingo`,
the games registry aside) imports `lottery.games.wingo`, types a game as
`WinGo`, hard-codes ten outcomes or names the WinGo markets; and no import runs
from a lower layer up to a higher one.
"""
from __future__ import annotations

import ast
import re
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
WINGO_MARKETS = re.compile(r"""["'](big_small|top3|color_rules|size_rules)["']|"""
                           r"""\b(BIG|SMALL|GREEN|VIOLET)\b|["'](Big|Small|Violet)["']""")
TEN = re.compile(r"\[0(\.1)?\]\s*\*\s*10\b|log\(10\)|%\s*10\b|range\(10\)")
TYPED = re.compile(r":\s*WinGo\b|->\s*WinGo\b|import[^#\n]*\bWinGo\b|\bWinGo\(")


def _generic_modules():
    return [p for p in MODULES if "wingo" not in str(p.relative_to(ROOT))
            and p != PACKAGE / "games" / "__init__.py"]


@pytest.mark.parametrize("path", _generic_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_wingo_rules_outside_wingo_modules(path):
    text = path.read_text()
    problems = []
    for line, module in _imports(path):
        if module == "lottery.games.wingo" or module.startswith("lottery.games.wingo."):
            problems.append(f"line {line}: imports {module}")
    for no, line in enumerate(text.splitlines(), 1):
        code = line.split("#", 1)[0]
        if TYPED.search(code):
            problems.append(f"line {no}: types a game as WinGo: {line.strip()}")
        if WINGO_MARKETS.search(code):
            problems.append(f"line {no}: names a WinGo market or side: {line.strip()}")
        if TEN.search(code):
            problems.append(f"line {no}: hard-codes ten outcomes: {line.strip()}")
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_look_for(tmp_path):
    sample = tmp_path / "lottery" / "x.py"
    sample.parent.mkdir()
    sample.write_text("from lottery.games.wingo import BIG\nprobs = [0] * 10\n")
    assert any(m == "lottery.games.wingo" for _, m in _imports(sample))
    assert WINGO_MARKETS.search("x = BIG") and TEN.search("[0] * 10")
    assert not WINGO_MARKETS.search("x = bigger") and not TEN.search("[0] * 100")
    assert TYPED.search("def f(game: WinGo):") and not TYPED.search('"Live WinGo predictions"')


# -- arrows flow one way ---------------------------------------------------------------
# games <- predictors, evaluation, simulator engine <- store, sources <- workers <- web, bot,
# commands. Utilities (settings, key names, logging, the loop) sit under everything.
LAYERS = [
    ("lottery.config", 0), ("lottery.keys", 0), ("lottery.logs", 0), ("lottery.loop", 0),
    ("lottery.games", 0),
    ("lottery.predictors", 1), ("lottery.evaluation", 1), ("lottery.sim.engine", 1),
    ("lottery.sim.strategies", 1), ("lottery.sim.montecarlo", 1), ("lottery.sim.params", 1),
    ("lottery.ai.wingo_parse", 1), ("lottery.ai.wingo_prompt", 1), ("lottery.ai.wingo", 1),
    ("lottery.store", 2), ("lottery.sources", 2), ("lottery.events", 2), ("lottery.ai.store", 2),
    ("lottery.ai.provider", 2), ("lottery.sim.sessions", 2), ("lottery.sim.backtest", 2),
    ("lottery.reports", 3), ("lottery.worker", 3), ("lottery.ai.worker", 3),
    ("lottery.sim.worker", 3), ("lottery.ai", 3), ("lottery.sim", 3),
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
