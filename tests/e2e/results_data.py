"""A database with one firm and two Completa assessments submitted the same day (the second
scores higher), for the results-page browser test and for looking at the page by hand:

    .venv/bin/python -m tests.e2e.results_data sqlite:////tmp/yo/db.sqlite3
"""

from __future__ import annotations

import sys

from scoring import compile_questionnaire, schema, score_assessment
from scoring.catalog import default_questionnaire
from storage.accounts import FirmRegistration, register_firm
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.db import make_engine, migrate, session_scope
from storage.results_table import store_result_vector
from ui.formstate import scoring_answers

PASSWORD = "clave-segura-123"
FIRM_RUC = "20100070970"
LOW, HIGH = 1, 3  # practice level of every answer, first and second assessment


def answers_at(compiled, level: int) -> tuple[dict[str, object], dict[str, str]]:
    """Every question answered: practices at ``level``, the legal floor met but its first item,
    the first option of each choice, numbers a quarter into their range."""
    answers: dict[str, object] = {}
    sources: dict[str, str] = {}
    first_requirement = True
    for question in compiled.questions:
        if isinstance(question, schema.PracticeQuestion):
            answers[question.id] = level
        elif isinstance(question, schema.RequirementQuestion):
            answers[question.id] = "no" if first_requirement else "si"
            first_requirement = False
        elif isinstance(question, schema.SingleChoiceQuestion):
            answers[question.id] = question.opciones[0].valor
        elif isinstance(question, schema.MultipleChoiceQuestion):
            answers[question.id] = [question.opciones[0].valor]
        elif isinstance(question, schema.NumberQuestion):
            answers[question.id] = round(
                question.minimo
                + (min(question.maximo, question.minimo + 1000) - question.minimo) / 4,
                2,
            )
            sources[question.id] = "medido"
    return answers, sources


def prepare(url: str) -> None:
    migrate(url)
    engine = make_engine(url)
    loaded = default_questionnaire()
    compiled = compile_questionnaire(loaded, "completo")
    with session_scope(engine) as database:
        firm = register_firm(
            database,
            FirmRegistration(
                ruc=FIRM_RUC,
                razon_social="Manufacturas Diversas del Norte S.A.C.",
                ciiu_division=32,
                region="Lambayeque",
                annual_sales=5_000_000,
                sales_year=2025,
                workers=40,
                email="gerencia@diversas.pe",
                password=PASSWORD,
                consent_share_sni=True,
                consent_statistics=True,
            ),
        )
        firm_id = firm.id
    for level in (LOW, HIGH):
        with session_scope(engine) as database:
            assessment = start_assessment(database, firm_id, loaded, "completo")
            answers, sources = answers_at(compiled, level)
            save_answers(database, assessment.id, firm_id, answers, sources)
            result = score_assessment(compiled, scoring_answers(answers, None), sources)
            submit(database, assessment.id, firm_id, result_summary(result))
            store_result_vector(database, assessment.id, compiled, result)
    engine.dispose()


if __name__ == "__main__":
    prepare(sys.argv[1])
