"""Demo data of the base questionnaire 2.0.0: valid indicators, sector groups, floor and reasons.

If the demo generator fell behind the questionnaire's number ids again, the indicators would all
come out empty and no division would get a sector comparison: these tests would fail.
"""

from __future__ import annotations

import collections

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from scoring import compile_questionnaire
from scoring.catalog import default_questionnaire
from scoring.peers import MIN_GROUP, sector_comparison
from storage.demo import create_demo
from storage.models import Answer, Assessment, Firm, Result
from storage.peers import sector_indicator_values
from storage.results_table import REQUIREMENT_PREFIX, load_results_frame

FIRMS = 60
SEED = 7


@pytest.fixture(scope="module")
def compiled():
    loaded = default_questionnaire()
    return {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}


@pytest.fixture
def demo(session: Session, compiled):
    create_demo(session, compiled, firms=FIRMS, seed=SEED)
    session.commit()
    rows = session.execute(
        select(Assessment, Result.detail_json, Result.ciiu_division).join(
            Result, Result.assessment_id == Assessment.id
        )
    ).all()
    return session, compiled, rows


def test_demo_indicators_valid_and_compared_in_sector(demo) -> None:
    session, compiled, rows = demo
    full = [detail for a, detail, _ in rows if a.depth == "completo"]
    assert len(full) >= FIRMS // 2
    valid = collections.Counter(
        i["id"] for detail in full for i in detail["indicadores"] if i["valido"]
    )
    core = compiled["completo"].model.indicadores_nucleo
    for indicator in compiled["completo"].indicators:
        assert valid[indicator.model.id] > 0, f"{indicator.model.id} never valid"
    for indicator_id in core:
        assert valid[indicator_id] >= 0.8 * len(full), indicator_id
    with_performance = [d for d in full if d["desempeno"] is not None]
    assert len(with_performance) >= 0.6 * len(full)

    # A division with at least 5 other firms with a value: the sector comparison has a score.
    compared = [i.model for i in compiled["completo"].indicators if i.model.comparar_en_sector]
    assert compared
    firms_with_value: dict[tuple[int, str], set[int]] = collections.defaultdict(set)
    for assessment, detail, division in rows:
        if assessment.depth != "completo":
            continue
        for indicator in detail["indicadores"]:
            if indicator.get("comparar_en_sector") and indicator["valido"]:
                firms_with_value[(division, indicator["id"])].add(assessment.firm_id)
    groups = {k: v for k, v in firms_with_value.items() if len(v) > MIN_GROUP}
    assert groups, "no division has enough demo firms with a sector-compared indicator"
    (division, indicator_id), firm_ids = max(groups.items(), key=lambda kv: len(kv[1]))
    firm_id = min(firm_ids)
    assessment = next(a for a, _, _ in rows if a.firm_id == firm_id and a.depth == "completo")
    values = sector_indicator_values(
        session,
        firm_id=firm_id,
        questionnaire_hash=assessment.questionnaire_hash,
        depth="completo",
        ciiu_division=division,
        include_demo=True,
    )
    assert len(values[indicator_id]) >= MIN_GROUP
    better = next(i.mejor for i in compared if i.id == indicator_id)
    own = values[indicator_id][0]
    comparison = sector_comparison(indicator_id, own, values[indicator_id], better=better)
    assert comparison is not None and comparison.puntaje is not None
    assert len(set(values[indicator_id])) > 1  # a spread, not one repeated figure


def test_demo_floor_reasons_and_profile(demo) -> None:
    session, compiled, rows = demo
    # Floor items mostly met, and the staff panel vectors carry the floor answers.
    states: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for _, detail, _ in rows:
        for requirement in detail["piso_legal"]["requisitos"]:
            states[requirement["id"]][requirement["estado"]] += 1
    assert set(states) == {q.id for q in compiled["completo"].requirements}
    for requirement_id, counts in states.items():
        met = (counts["si"] + counts["no_corresponde"]) / sum(counts.values())
        assert 0.6 <= met <= 0.99, (requirement_id, counts)
    assert any(counts["no"] + counts["en_tramite"] for counts in states.values())
    loaded = compiled["completo"].loaded
    frame = load_results_frame(
        session, loaded.id, "completo", questionnaire_hash=loaded.content_hash
    )
    floor_columns = [c for c in frame.columns if c.startswith(REQUIREMENT_PREFIX)]
    assert len(floor_columns) == len(compiled["completo"].requirements)
    assert not np.isnan(frame[floor_columns].to_numpy(dtype=float)).any()
    # A few «No sé» and a few «No aplica», each declared one with its reason as the comment.
    question_states = collections.Counter(
        q["estado"] for _, detail, _ in rows for q in detail["preguntas"]
    )
    total = sum(question_states.values())
    assert 0 < question_states["no_se"] < 0.15 * total
    assert 0 < question_states["no_aplica"] < 0.2 * total
    answers = session.execute(
        select(Answer.assessment_id, Answer.question_id, Answer.value, Answer.comment)
    ).all()
    declared = [row for row in answers if row.value == "no_aplica"]
    assert declared and all(row.comment for row in declared)
    # Profile answers follow the firm: its registered size.
    sizes = {row.id: row.size_class for row in session.execute(select(Firm.id, Firm.size_class))}
    firm_of = {assessment.id: assessment.firm_id for assessment, _, _ in rows}
    registered = [row for row in answers if row.question_id == "perfil_tamano"]
    assert len(registered) == len(rows)
    assert all(row.value == sizes[firm_of[row.assessment_id]] for row in registered)


def test_demo_firms_answer_the_module_of_their_division(session: Session, compiled) -> None:
    from scoring.catalog import available_modules, division_module

    modules = available_modules()
    create_demo(session, compiled, firms=150, seed=3, modules=modules)
    session.commit()
    rows = session.execute(
        select(Firm.ciiu_division, Result.detail_json)
        .join(Assessment, Assessment.firm_id == Firm.id)
        .join(Result, Result.assessment_id == Assessment.id)
    ).all()
    core = compiled["completo"].loaded
    used: collections.Counter = collections.Counter()
    valid: collections.Counter = collections.Counter()
    for division, detail in rows:
        ids = [m["id"] for m in detail.get("modulos") or []]
        expected = division_module(core, modules, division)
        assert (expected.id in ids) if expected else ids in ([], ["harina_pescado"])
        used.update(ids)
        module_indicators = {i for m in detail.get("modulos") or [] for i in m["indicadores"]}
        valid.update(
            i["id"] for i in detail["indicadores"] if i["id"] in module_indicators and i["valido"]
        )
    # Every module of a division gets firms (fishmeal is a second activity of some food firms).
    assert set(used) >= {m for m in modules if m != "harina_pescado"}, used
    for ident in used:
        assert any(
            valid[i]
            for i in modules[ident].model.indicadores
            and [x.id for x in modules[ident].model.indicadores]
        ), f"{ident}: no valid module indicator"
