"""The fill page's section is an ``st.fragment`` (issue 11): an answer reruns only the section.

Driven through the real server (``streamlit run servidor.py``) with the browser's own websocket
protocol (the client of ``benchmarks/bench_load.py``): as a browser does, a click on a widget
inside the fragment asks for a rerun of that fragment. Checked: the answer is saved, the
progress is redrawn, app.py does not run (no page list is sent), a change of section still
reruns the whole page, and a session ended elsewhere (logout in another tab) stops the next
answer from being saved.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import select

from benchmarks.bench_load import (
    Figures,
    Firm,
    Run,
    database,
    option_values,
    server,
    text,
    trigger,
)
from scoring import compile_questionnaire
from scoring.catalog import default_questionnaire
from storage.db import make_engine, session_scope
from storage.models import Account, Answer, Assessment
from storage.sessions import revoke_session

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def _answer(firm: Firm, run: Run) -> Run:
    widget = firm.pending(run)[0]
    qid = widget.key[len(f"a{firm.aid}_") : -2]
    values = option_values(firm.questions[qid])
    label = next(o for o in widget.proto.options if o in values)
    after = await firm.browser.run(answer=text(widget, label))
    firm.clicked[qid] = values[label]
    return after


def _stored(url: str, ruc: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        with session_scope(engine) as db:
            rows = db.execute(
                select(Answer.question_id, Answer.value)
                .join(Assessment, Assessment.id == Answer.assessment_id)
                .join(Account, Account.firm_id == Assessment.firm_id)
                .where(Account.login == ruc)
            )
            return dict(rows.tuples().all())
    finally:
        engine.dispose()


def _answered(run: Run) -> int:
    """The «Avance: N de M preguntas respondidas» of the run: N (-1 when not drawn)."""
    shown = next((t for t in run.texts if t.startswith("Avance: ")), "")
    return int(shown.split()[1]) if shown else -1


async def _scenario(address: str, url: str) -> None:
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    questions = {q.id: q for q in compiled.questions}
    firm = Firm(0, address, questions, Figures(), seed=3)
    try:
        assert await firm.register()
        assert await firm.open_form(0.0)
        form = firm.form
        assert form.navigation and not form.fragment_run  # opening the form: the whole app
        before = _answered(form)  # the registration's data come already filled
        assert before >= 0

        # An answer: only the section reruns, the answer is saved, the progress is redrawn.
        first = await _answer(firm, form)
        assert first.problems == []
        assert first.fragment_run, "una respuesta debe volver a ejecutar solo la sección"
        assert not first.navigation, "una respuesta no debe volver a ejecutar app.py"
        assert _answered(first) == before + 1
        second = await _answer(firm, first)
        assert second.fragment_run and not second.navigation
        assert _answered(second) == before + 2
        stored = _stored(url, firm.ruc)
        assert {qid: stored.get(qid) for qid in firm.clicked} == firm.clicked

        # «Guardar y continuar»: the whole page reruns (the next section, its heading on top).
        forward = second.widgets[f"next_{firm.aid}"]
        moved = await firm.browser.run(forward=trigger(forward))
        assert moved.problems == []
        assert moved.navigation and not moved.fragment_run
        assert _answered(moved) == before + 2

        # The session ends in another tab: the next answer is not saved, and the whole page
        # asks to log in again.
        engine = make_engine(url)
        try:
            with session_scope(engine) as db:
                assert revoke_session(db, firm.browser.cookies["brujula_sesion"])
        finally:
            engine.dispose()
        kept = dict(firm.clicked)
        after = await _answer(firm, moved)
        assert not after.fragment_run
        assert any("Inicie sesión para continuar" in t for t in after.texts)
        (refused,) = set(firm.clicked) - set(kept)
        stored = _stored(url, firm.ruc)
        assert refused not in stored
        assert {qid: stored.get(qid) for qid in kept} == kept
    finally:
        await firm.close()


def test_an_answer_reruns_only_the_section(tmp_path: Path) -> None:
    # The scenario runs in a thread of its own: Playwright's sync API (other tests of this
    # folder) may leave an event loop running in this one, where asyncio.run() is refused.
    with (
        database("sqlite", tmp_path, None) as url,
        server(url, tmp_path, gc_on=False) as (address, _process),
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        pool.submit(asyncio.run, _scenario(address, url)).result()
