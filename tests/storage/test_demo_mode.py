"""Demo mode (``BRUJULA_MODO_DEMO=1``): demo firms count as peers only when it is set, and the
peer table says so; by default (production) they never do."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from reports.sample import sample_answers
from scoring import compile_questionnaire, score_assessment
from scoring.catalog import default_questionnaire
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.peers import DEMO_MODE_ENV, PeerSource, demo_mode
from storage.results_table import store_result_vector
from tests.storage.storage_testdata import make_firm


@pytest.fixture(scope="module")
def compiled():
    return compile_questionnaire(default_questionnaire(), "completo")


def _submit(session: Session, compiled, firm_id: int, seed: int) -> None:
    """One submitted Completo assessment of ``firm_id``, with its stored result vector."""
    loaded = compiled.loaded
    answers, sources = sample_answers(compiled, seed=seed)
    meta = (loaded.id, loaded.version, loaded.content_hash)
    assessment = start_assessment(session, firm_id, meta, compiled.depth)
    save_answers(session, assessment.id, firm_id, answers, sources)
    result = score_assessment(compiled, answers, sources)
    submit(session, assessment.id, firm_id, result_summary(result))
    store_result_vector(session, assessment.id, compiled, result)
    session.commit()


@pytest.mark.parametrize(
    ("value", "on"),
    [(None, False), ("", False), ("0", False), ("no", False), ("1", True), ("sí", True)],
)
def test_demo_mode_is_an_explicit_opt_in(value, on) -> None:
    environ = {} if value is None else {DEMO_MODE_ENV: value}
    assert demo_mode(environ) is on


def _data(session: Session, compiled) -> dict[str, int]:
    real = make_firm(session, "2010007097", ciiu_division=10, email="a@e.pe")
    demo = make_firm(session, "2050000000", is_demo=True, verified=False, email="d@e.pe")
    other_demo = make_firm(session, "2060000000", is_demo=True, verified=False, email="e@e.pe")
    for seed, firm in enumerate((real, demo, other_demo)):
        _submit(session, compiled, firm.id, seed)
    return {"real": real.id, "demo": demo.id}


def test_by_default_demo_firms_are_never_peers(
    session: Session,
    compiled,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DEMO_MODE_ENV, raising=False)
    ids = _data(session, compiled)
    loaded = compiled.loaded
    table = PeerSource(loaded.id, "completo", loaded.content_hash).current(session)
    assert not table.demo
    assert len(table) == 1  # the verified real firm only
    assert table.without(ids["real"]).empty


def test_in_demo_mode_demo_firms_are_peers_and_marked(
    session: Session,
    compiled,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DEMO_MODE_ENV, "1")
    ids = _data(session, compiled)
    loaded = compiled.loaded
    table = PeerSource(loaded.id, "completo", loaded.content_hash).current(session)
    assert table.demo  # the pages label these figures as demo figures
    assert len(table) == 3
    assert len(table.without(ids["real"])) == 2  # the two demo firms are its peers
    assert len(table.without(ids["demo"])) == 2  # never itself
