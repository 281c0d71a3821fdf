"""Dashboard pages: `/` (live board), `/simulator`, `/fairness` and `/mixpred/`.

Pages are thin Jinja shells (autoescaped); every figure is fetched from the
JSON API by the page's own JavaScript and written into the DOM as text. The
game's rules are handed to the page by its family (`Game.page_config()`; for
WinGo the size and colours of each digit), so the browser never re-implements
them.
"""
from __future__ import annotations

import time

from flask import Blueprint, render_template, request

from lottery.config import DEFAULT_GAME
from lottery.games import get_game
from lottery.sim.strategies import PROGRESSIONS
from lottery.web.context import followed_game, get_settings
from lottery.web.errors import ApiError, not_found

bp = Blueprint("pages", __name__)

PAGES = (  # (endpoint, path, title) in navigation order
    ("pages.board", "/", "Live board"),
    ("pages.simulator", "/simulator", "Simulator"),
    ("pages.fairness", "/fairness", "Fairness"),
    ("pages.mixpred", "/mixpred/", "Colour & size"),
)


def page_config(game_code: str, games: list[str]) -> dict:
    """Return what a page's scripts need: the games it can show, the chosen one and its rules."""
    game = get_game(game_code)
    return {
        "game": game.code,
        "family": game.family,
        "games": games,
        "server_time": time.time(),
        **game.page_config(),
        # A custom ladder needs a multipliers list: the API takes it, the form keeps it simple.
        "progressions": [p for p in PROGRESSIONS if p != "custom"],
    }


def _shown_games(page: str) -> list[str]:
    """Return the followed games whose family this page can show (404 when none)."""
    games = [code for code in get_settings().games
             if get_game(code).page is not None and page in get_game(code).page.pages]
    if not games:
        raise not_found(f"no game this server follows has a {page} page")
    return games


def _chosen_game(games: list[str]) -> str:
    """Return ?game= when the page shows it, else the default (or first) game it shows."""
    try:
        code = followed_game(request.args.get("game", "")).code
    except ApiError:  # a page shows its default game rather than an error
        code = None
    if code in games:
        return code
    return DEFAULT_GAME if DEFAULT_GAME in games else games[0]


def family_boards() -> list[tuple[str, str, str]]:
    """Return (game, title, family) of each followed family's board beside the default one's."""
    games = get_settings().games
    home = get_game(DEFAULT_GAME if DEFAULT_GAME in games else games[0]).family
    seen, out = {home}, []
    for code in games:
        game = get_game(code)
        if game.page is not None and "board" in game.page.pages and game.family not in seen:
            seen.add(game.family)
            out.append((code, game.page.title, game.family))
    return out


def _render(page: str, title: str, template: str | None = None):
    games = _shown_games(page)
    code = _chosen_game(games)
    return render_template(template or get_game(code).page.template, title=title, pages=PAGES,
                           config=page_config(code, games), game=code, games=games,
                           boards=family_boards(), family=get_game(code).family)


@bp.get("/")
def board():
    """Render the live board (the chosen game's family board)."""
    return _render("board", "Live board")


@bp.get("/simulator")
@bp.get("/api/simulator/", endpoint="simulator_upstream_path")  # where upstream served its page
def simulator():
    """Render the paper-trading simulator page."""
    return _render("simulator", "Simulator", "simulator.html")


@bp.get("/fairness")
def fairness():
    """Render the provably-fair lookup page."""
    return _render("fairness", "Fairness", "fairness.html")


@bp.get("/mixpred/")
@bp.get("/mixpred/index.html", endpoint="mixpred_index")  # upstream's second path
def mixpred():
    """Render the upstream colour/size page at its old path."""
    return _render("mixpred", "Colour & size", "mixpred.html")


OPENAPI_PATHS: dict = {
    path: {"get": {"summary": f"Dashboard page: {title}", "tags": ["pages"],
                   "parameters": [{"name": "game", "in": "query", "required": False,
                                   "schema": {"type": "string", "default": DEFAULT_GAME}}],
                   "responses": {"200": {"description": "HTML page",
                                         "content": {"text/html": {}}}}}}
    for _, path, title in (*PAGES, ("", "/api/simulator/", "Simulator (upstream's path)"),
                           ("", "/mixpred/index.html", "Colour & size (upstream's path)"))
}
