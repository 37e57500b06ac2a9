"""Two sessions of one firm on the same assessment (two tabs, or two replicas): each saves only
what it changed, and shows what the other saved on its next rerun (issue 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, event

import storage.assessments as assessments
from storage.assessments import load_answers
from storage.db import make_engine, session_scope
from tests.ui.helpers import firm_id_for, logged_in, make_firm, open_page
from ui.widgets import widget_key

FILL = "ui/pages/fill.py"


def _start(token: str):
    at = logged_in(token)
    at.button(key="start_completo").click().run()
    assert not at.exception, at.exception
    raw = at.query_params["evaluacion"]
    return at, int(raw[0] if isinstance(raw, list) else raw)


def _stored(url: str, aid: int, firm_id: int) -> dict[str, object]:
    engine = make_engine(url)
    with session_scope(engine) as database:
        answers = load_answers(database, aid, firm_id)[0]
    engine.dispose()
    return answers


def _two_tabs(url: str):
    token = make_firm(url)
    first, aid = _start(token)
    second = open_page(FILL, token, evaluacion=str(aid))  # drawn before anything was answered
    assert not second.exception, second.exception
    return first, second, aid, firm_id_for(url, token)


def test_two_tabs_answering_different_questions_keep_both(app_env: str) -> None:
    first, second, aid, firm_id = _two_tabs(app_env)
    first.radio(key=widget_key(aid, "e1")).set_value(2).run()
    second.radio(key=widget_key(aid, "e2")).set_value(3).run()
    assert not first.exception and not second.exception
    # The second tab never touched e1: it did not write its stale empty value back.
    assert _stored(app_env, aid, firm_id) == {"e1": 2, "e2": 3}
    # ...and it shows the first tab's answer from that same rerun on.
    assert second.radio(key=widget_key(aid, "e1")).value == 2
    first.run()
    assert first.radio(key=widget_key(aid, "e2")).value == 3
    # Moving on saves this section again: still nothing it did not change.
    second.button(key=f"next_{aid}").click().run()
    first.button(key=f"next_{aid}").click().run()
    assert _stored(app_env, aid, firm_id) == {"e1": 2, "e2": 3}


def test_the_same_question_in_both_keeps_the_later_answer(app_env: str) -> None:
    first, second, aid, firm_id = _two_tabs(app_env)
    first.radio(key=widget_key(aid, "e1")).set_value(1).run()
    second.radio(key=widget_key(aid, "e1")).set_value(3).run()
    assert _stored(app_env, aid, firm_id) == {"e1": 3}
    first.run()  # the next rerun of the first tab shows the later answer, and keeps it
    assert first.radio(key=widget_key(aid, "e1")).value == 3
    assert _stored(app_env, aid, firm_id) == {"e1": 3}
    first.radio(key=widget_key(aid, "e1")).set_value(0).run()  # and it can still change it
    assert _stored(app_env, aid, firm_id) == {"e1": 0}
    second.run()
    assert second.radio(key=widget_key(aid, "e1")).value == 0


def test_a_cleared_answer_in_one_tab_is_not_restored_by_the_other(app_env: str) -> None:
    first, second, aid, firm_id = _two_tabs(app_env)
    first.radio(key=widget_key(aid, "e1")).set_value(2).run()
    second.run()
    assert second.radio(key=widget_key(aid, "e1")).value == 2
    first.radio(key=widget_key(aid, "e1")).set_value(None).run()
    assert _stored(app_env, aid, firm_id) == {}
    second.radio(key=widget_key(aid, "e2")).set_value(1).run()
    assert _stored(app_env, aid, firm_id) == {"e2": 1}
    assert second.radio(key=widget_key(aid, "e1")).value is None


class _AnswerReads:
    """Counts the queries that read an assessment's answers (``FROM respuestas``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if "FROM respuestas" in statement:
            self.count += 1

    def __enter__(self) -> _AnswerReads:
        event.listen(Engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "before_cursor_execute", self)


def test_answers_are_read_again_only_when_their_version_changed(app_env: str) -> None:
    first, second, aid, firm_id = _two_tabs(app_env)
    first.radio(key=widget_key(aid, "e1")).set_value(2).run()
    with _AnswerReads() as reads:
        first.run()  # nothing changed since its own save: the kept copy is current
    assert reads.count == 0
    assert first.radio(key=widget_key(aid, "e1")).value == 2
    second.radio(key=widget_key(aid, "e2")).set_value(3).run()  # another session writes
    with _AnswerReads() as reads:
        first.run()
    assert reads.count == 1
    assert first.radio(key=widget_key(aid, "e2")).value == 3
    with _AnswerReads() as reads:
        first.run()
    assert reads.count == 0 and first.radio(key=widget_key(aid, "e2")).value == 3
    assert _stored(app_env, aid, firm_id) == {"e1": 2, "e2": 3}


def test_a_save_by_another_tab_during_this_run_is_not_hidden_by_the_kept_copy(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other tab saves after this run read the answers and before it saves its own: the
    copy this run kept is out of date, and the next rerun must read the answers again."""
    first, _second, aid, firm_id = _two_tabs(app_env)
    real_save = assessments.save_answers
    done: list[int] = []

    def other_tab_first(database, *args, **kwargs):
        if not done:
            done.append(1)
            engine = make_engine(app_env)
            with session_scope(engine) as other:
                real_save(other, aid, firm_id, {"e2": 3})
            engine.dispose()
        return real_save(database, *args, **kwargs)

    monkeypatch.setattr(assessments, "save_answers", other_tab_first)
    first.radio(key=widget_key(aid, "e1")).set_value(2).run()  # the wrapper acts only once
    assert done and not first.exception
    first.run()
    assert first.radio(key=widget_key(aid, "e2")).value == 3
    assert _stored(app_env, aid, firm_id) == {"e1": 2, "e2": 3}
