"""Results page (AppTest): a submitted assessment renders, other firms are refused, peers hidden."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from scoring import compile_questionnaire, load_questionnaire, privacy, score_assessment  # noqa: E402
from scoring.peers import NOT_ENOUGH  # noqa: E402
from scoring.peru import ruc_check_digit  # noqa: E402
from storage.accounts import register_firm  # noqa: E402
from storage.assessments import (  # noqa: E402
    result_summary,  # noqa: E402
    save_answers,
    start_assessment,
    submit,
)
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import Account  # noqa: E402
from storage.results_table import store_result_vector  # noqa: E402
from storage.sessions import open_session  # noqa: E402
from ui.session import ASSESSMENT_PARAM, TOKEN_KEY  # noqa: E402

APP = ROOT / "app.py"
PAGE = "ui/pages/results.py"
MINI = ROOT / "tests" / "scoring" / "fixtures" / "mini.yaml"
ANSWERS = {"e1": 2, "e2": 1, "usa_agua": "si", "a1": 3, "agua_total": 100, "agua_reusada": 30}
SOURCES = {"agua_total": "medido", "agua_reusada": "estimado"}


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    url = f"sqlite:///{tmp_path / 'resultados.sqlite3'}"
    migrate(url)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(MINI))
    st.cache_data.clear()  # the peer table is cached per questionnaire, depth and firm
    eng = make_engine(url)
    yield eng
    eng.dispose()
    st.cache_data.clear()


@pytest.fixture(autouse=True)
def _negligible_noise():
    """These tests check what the pages show; the noise itself is tested in
    tests/scoring/test_privacy.py and tests/storage/test_privacy_attacks.py. A huge ε makes
    every release equal to the true figure (rounded to the release's grid)."""
    huge = 1e6
    privacy.reset(privacy.PrivacyConfig(huge, huge, huge, 0.5, huge))
    yield
    privacy.reset()


def add_firm(db: Session, number: int, verified: bool = True, **overrides: object):
    """A registered firm, verified by SNI staff unless ``verified=False`` (issue 12)."""
    first_ten = f"20{number:08d}"
    data = {
        "ruc": first_ten + str(ruc_check_digit(first_ten)),
        "razon_social": f"Empresa de prueba {number} S.A.C.",
        "ciiu_division": 10,
        "region": "Lima Metropolitana",
        "annual_sales": 2_000_000,
        "sales_year": 2025,
        "workers": 25,
        "email": f"empresa{number}@ejemplo.pe",
        "password": "clave-segura-123",
        "consent_statistics": True,
    }
    data.update(overrides)
    firm = register_firm(db, data)
    if verified:
        firm.verified_at = dt.datetime.now(dt.UTC)
    db.flush()
    return firm


def add_submitted(db: Session, firm_id: int, answers=ANSWERS, submit_it: bool = True) -> int:
    loaded = load_questionnaire(MINI)
    compiled = compile_questionnaire(loaded, "completo")
    assessment = start_assessment(
        db, firm_id, (loaded.id, loaded.version, loaded.content_hash), "completo"
    )
    save_answers(db, assessment.id, firm_id, answers, SOURCES)
    if submit_it:
        result = score_assessment(compiled, answers, SOURCES)
        submit(db, assessment.id, firm_id, result_summary(result))
        # As ui/pages/review.py does: peers are read from the narrow panel rows.
        store_result_vector(db, assessment.id, compiled, result)
    return assessment.id


def token_for(db: Session, firm_id: int) -> str:
    account = db.scalar(select(Account).where(Account.firm_id == firm_id))
    return open_session(db, account)


def app_ready() -> bool:
    """True once app.py and the pages it links to exist (written in parallel by others)."""
    return APP.exists() and (ROOT / "ui" / "pages" / "dashboard.py").exists()


@pytest.fixture
def run_page(monkeypatch: pytest.MonkeyPatch):
    """Run the results page as a logged-in firm: through app.py when it can run, else alone.

    Alone, the page is not part of an ``st.navigation`` list, so links to other pages cannot be
    resolved; they are replaced by plain text for that mode only.
    """
    through_app = app_ready()
    if not through_app:
        monkeypatch.setattr(st, "page_link", lambda page, label=None, **_: st.markdown(label))

    def run(token: str | None, assessment_id: int | None) -> AppTest:
        at = AppTest.from_file(str(APP if through_app else ROOT / PAGE), default_timeout=60)
        if token:
            at.session_state[TOKEN_KEY] = token
        if assessment_id is not None:
            at.query_params[ASSESSMENT_PARAM] = str(assessment_id)
        if through_app:
            at.run()
            at.switch_page(PAGE)
        return at.run()

    return run


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    for kind in ("info", "success", "warning", "error"):
        parts += [e.value for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def specs(at: AppTest) -> list[str]:
    """Each chart's Vega-Lite spec as text with its Spanish characters unescaped."""
    return [
        json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("vega_lite_chart")
    ]


def setup_firm_with_peers(engine, peers: int) -> tuple[str, int]:
    with Session(engine) as db:
        firm = add_firm(db, 1)
        assessment_id = add_submitted(db, firm.id)
        for i in range(peers):
            other = add_firm(db, 100 + i)
            add_submitted(db, other.id, answers={**ANSWERS, "e1": i % 5})
        token = token_for(db, firm.id)
        db.commit()
    return token, assessment_id


def test_renders_submitted_assessment_with_charts_and_peers(engine, run_page):
    token, assessment_id = setup_firm_with_peers(engine, 6)
    at = run_page(token, assessment_id)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "En transición" in shown  # the level name
    assert "Dimensión más débil" in shown
    assert "Misma división CIIU (10 · Elaboración de productos alimenticios)" in shown
    assert "6 empresas" in shown
    assert "Su siguiente paso" in shown
    assert "¿Reutiliza agua?" in shown or "¿Tiene estrategia?" in shown  # plan item text
    charts = specs(at)
    assert len(charts) >= 4  # dimensions, routes, themes, history
    assert all("Puntaje (0–100)" in spec or "(%)" in spec for spec in charts)
    assert "Mediana del grupo" in charts[0]
    assert "Lectura:" in shown
    assert len(at.table) == 2  # peer medians and quartiles; indicators
    downloads = [b.proto.label for b in at.get("download_button")]
    assert downloads == ["Informe PDF", "Datos en Excel", "Datos en JSON"]


def test_peers_hidden_under_five_firms(engine, run_page):
    token, assessment_id = setup_firm_with_peers(engine, 4)
    at = run_page(token, assessment_id)
    assert not at.exception, at.exception
    shown = texts(at)
    assert NOT_ENOUGH in shown
    assert specs(at)
    assert not any("Mediana del grupo" in spec for spec in specs(at))


def test_another_firms_assessment_is_refused(engine, run_page):
    with Session(engine) as db:
        mine = add_firm(db, 1)
        other = add_firm(db, 2)
        add_submitted(db, mine.id)
        foreign = add_submitted(db, other.id)
        token = token_for(db, mine.id)
        db.commit()
    at = run_page(token, foreign)
    assert not at.exception, at.exception
    assert "No encontramos esa evaluación." in [e.value for e in at.error]
    assert not at.get("vega_lite_chart")
    assert "Empresa de prueba 2" not in texts(at)


def test_draft_points_to_the_form(engine, run_page):
    with Session(engine) as db:
        firm = add_firm(db, 1)
        draft = add_submitted(db, firm.id, submit_it=False)
        token = token_for(db, firm.id)
        db.commit()
    at = run_page(token, draft)
    assert not at.exception, at.exception
    assert any("todavía está en curso" in e.value for e in at.info)
    assert not at.get("vega_lite_chart")


def test_without_login_asks_to_sign_in(engine, run_page):
    at = run_page(None, None)
    assert not at.exception, at.exception
    assert not at.get("vega_lite_chart")


def test_a_selected_draft_shows_the_latest_submitted_results(engine, run_page):
    with Session(engine) as db:
        firm = add_firm(db, 1)
        add_submitted(db, firm.id)
        draft = add_submitted(db, firm.id, submit_it=False)
        token = token_for(db, firm.id)
        db.commit()
    at = run_page(token, draft)
    assert not at.exception, at.exception
    assert "última evaluación enviada" in texts(at)
    assert at.get("vega_lite_chart")  # the submitted assessment's charts
