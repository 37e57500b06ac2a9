"""No raw error reaches a page (issue 12): the error boundary, validated ``?evaluacion=``, the
database down, tracebacks switched off, and firm-typed URLs that never become links."""

from __future__ import annotations

import logging
import re
import socket
import tomllib

import pytest

from scoring.catalog import default_questionnaire
from storage.assessments import start_assessment
from storage.db import make_engine, session_scope
from tests.ui.conftest import ROOT
from tests.ui.helpers import firm_id_for, logged_in, make_firm, open_page, texts
from ui import errors
from ui.widgets import plain

NOT_FOUND = "No encontramos esa evaluación."
PAGES = ("ui/pages/fill.py", "ui/pages/review.py", "ui/pages/results.py")
BAD_IDS = ("99999999999999999999999", "2147483648", "-5", "abc", "1e3", "", " 7", "7\x00", "١٢")
CODE = re.compile(r"código ([0-9A-F]{8})")


def _draft(url: str, token: str) -> int:
    engine = make_engine(url)
    with session_scope(engine) as database:
        aid = start_assessment(database, firm_id_for(url, token), default_questionnaire(), "expres")
        aid = aid.id
    engine.dispose()
    return aid


def _clean(at) -> str:
    assert not at.exception, at.exception
    shown = texts(at)
    for leak in ("Traceback", "sqlalchemy", "SELECT", "OverflowError", ".py"):
        assert leak not in shown, shown
    return shown


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("value", BAD_IDS)
def test_bad_assessment_ids_name_nothing(app_env: str, page: str, value: str) -> None:
    token = make_firm(app_env)
    shown = _clean(open_page(page, token, evaluacion=value))
    assert NOT_FOUND in shown
    assert not CODE.search(shown)  # the page's own message, not the boundary's


@pytest.mark.parametrize("page", PAGES)
def test_another_firms_assessment_is_not_found(app_env: str, page: str) -> None:
    other = _draft(app_env, make_firm(app_env, "2010008888", email="otra@firma.pe"))
    token = make_firm(app_env)
    assert NOT_FOUND in _clean(open_page(page, token, evaluacion=str(other)))


def test_parse_id_accepts_only_plain_positive_ids() -> None:
    from ui.session import INVALID_ID, MAX_ID, parse_id

    assert parse_id("42") == 42 and parse_id(str(MAX_ID)) == MAX_ID
    for bad in (*BAD_IDS, "0", "007", str(MAX_ID + 1), None, 3.0):
        assert parse_id(bad) == INVALID_ID, bad


def test_an_unexpected_error_shows_a_spanish_message_with_a_logged_id(
    app_env: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = make_firm(app_env)
    aid = _draft(app_env, token)

    def broken(*args, **kwargs):
        raise RuntimeError("SELECT password_hash FROM cuentas -- secreto en /srv/app.py")

    monkeypatch.setattr("ui.assessment.answer_snapshot", broken)
    with caplog.at_level(logging.ERROR, logger="brujula.errores"):
        at = open_page("ui/pages/fill.py", token, evaluacion=str(aid))
    shown = _clean(at)
    assert "secreto" not in shown and "password_hash" not in shown
    assert errors.GENERIC_TITLE in shown
    request_id = CODE.search(shown).group(1)
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and "secreto" in str(logged[0].exc_info[1])


def test_database_down_gives_a_clear_spanish_page(app_env: str, monkeypatch) -> None:
    token = make_firm(app_env)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{port}/test")
    for page in ("ui/pages/dashboard.py", "ui/pages/results.py"):
        at = logged_in(token)
        at.run()
        shown = _clean(at.switch_page(page).run())
        assert "No podemos conectarnos con la base de datos" in shown and CODE.search(shown), shown
        assert str(port) not in shown and "127.0.0.1" not in shown


def test_tracebacks_are_switched_off() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["showErrorDetails"] == "none"


# GitHub-flavoured Markdown's bare-link patterns (www., http(s)://, e-mail), as remark-gfm
# applies them to the text after backslash escapes are resolved.
_GFM_LINK = re.compile(r"(?:https?://|www\.)[-.\w]|[-.\w+]+@[-\w]+\.[-\w]", re.IGNORECASE)


@pytest.mark.parametrize(
    "typed",
    [
        "https://malo.example www.malo.example",
        "Ventas <ventas@www.malo.example>",
        "HTTP://MALO.EXAMPLE/x?y=1",
        "visite www.malo.example.",
        "contacto@malo.pe",
    ],
)
def test_plain_breaks_bare_links(typed: str) -> None:
    escaped = plain(typed)
    unescaped = re.sub(r"\\(.)", r"\1", escaped)  # what the autolink pass reads
    assert not _GFM_LINK.search(unescaped), unescaped
    assert unescaped.replace("\u2060", "") == typed  # and it still reads as typed
