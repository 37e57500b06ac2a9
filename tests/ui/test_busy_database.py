"""A database locked by other writers never shows a raw error (issue 11): the form keeps what
was typed and says, in Spanish, to try again; nothing raised in a callback escapes either."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError

from storage.db import BUSY_MESSAGE, DatabaseBusy
from tests.ui.helpers import logged_in, make_firm, open_page, press, texts
from tests.ui.test_accounts_ui import REGISTER, _fill, _firms
from ui import db, errors
from ui.widgets import widget_key


def _busy(*_args, **_kwargs):
    raise DatabaseBusy()


def test_a_locked_database_while_answering_keeps_the_answer_on_screen(
    app_env: str, monkeypatch
) -> None:
    at = logged_in(make_firm(app_env))
    at.button(key="start_expres").click().run()
    raw = at.query_params["evaluacion"]
    aid = int(raw[0] if isinstance(raw, list) else raw)
    monkeypatch.setattr(db, "write", _busy)
    at.radio(key=widget_key(aid, "e1")).set_value(2).run()
    assert not at.exception, at.exception
    assert BUSY_MESSAGE in [w.value for w in at.warning]
    assert at.radio(key=widget_key(aid, "e1")).value == 2  # what the user chose stays
    monkeypatch.undo()  # the next click saves it
    at.radio(key=widget_key(aid, "e1")).set_value(3).run()
    assert not at.warning and not at.exception


def test_a_locked_database_while_registering_keeps_the_form(app_env: str, monkeypatch) -> None:
    monkeypatch.setattr(db, "write", _busy)
    at = press(_fill(open_page(REGISTER)))
    assert not at.exception, at.exception
    assert "muchas empresas registrándose" in texts(at)
    assert at.text_input(key="reg_name").value == "Textiles Andinos S.A.C."
    assert _firms(app_env) == []


def test_an_unexpected_error_in_the_registration_callback_is_a_spanish_message(
    app_env: str, monkeypatch
) -> None:
    import storage.accounts

    def broken(_password: str) -> str:
        raise RuntimeError("argon2 sin memoria")

    monkeypatch.setattr(storage.accounts, "hash_password", broken)
    at = press(_fill(open_page(REGISTER)))
    assert not at.exception, at.exception
    shown = texts(at)
    assert "No pudimos crear la cuenta en este momento" in shown
    assert "argon2" not in shown and "RuntimeError" not in shown


def test_the_error_boundary_names_a_busy_database() -> None:
    locked = OperationalError("UPDATE", {}, sqlite3.OperationalError("database is locked"))
    assert errors.database_busy(locked) and errors.database_busy(DatabaseBusy())
    assert not errors.database_busy(RuntimeError("otra cosa"))
