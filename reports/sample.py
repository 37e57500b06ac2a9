"""A sample assessment (firm, answers, peers) for demos, benchmarks and report tests.

Uses the shipped base questionnaire; numbers come from a plausible firm profile when the
question id is known, otherwise from a random draw inside the question's range.
"""

from __future__ import annotations

import datetime as dt
import random

from reports.context import Firm, ReportContext
from scoring import schema
from scoring.answers import REASON_SUFFIX
from scoring.catalog import default_questionnaire
from scoring.compiled import CompiledQuestionnaire, compile_questionnaire
from scoring.loader import LoadedQuestionnaire
from scoring.result import ScoreResult, score_assessment

# A plausible small food manufacturer (48 workers); ids of the base questionnaire.
PROFILE: dict[str, float] = {
    "eco_ventas_anuales": 8_500_000,
    "eco_trabajadores": 48,
    "eco_ventas_anio_anterior": 8_100_000,
    "eco_trabajadores_anio_anterior": 47,
    "soc_horas_capacitacion": 1_150,
    "soc_accidentes": 2,
    "soc_horas_hombre": 99_800,
    "soc_trabajadores_planilla": 41,
    "soc_trabajadoras_mujeres": 19,
    "amb_masa_entrada_total": 1_240.5,
    "amb_masa_entrada_renovable": 310.0,
    "amb_masa_entrada_no_virgen": 96.25,
    "amb_masa_producto": 1_050.0,
    "amb_masa_residuos": 182.4,
    "amb_masa_residuos_valorizados": 121.0,
    "amb_agua_total": 18_400.0,
    "amb_agua_circular": 2_300.0,
    "amb_energia_total": 1_460_000,
    "amb_energia_renovable": 175_000,
    "amb_emisiones_gei": 640.8,
    "amb_masa_producto_recuperado": 12.5,
}


def sample_questionnaire() -> LoadedQuestionnaire:
    """The shipped base questionnaire."""
    return default_questionnaire()


def sample_answers(
    compiled: CompiledQuestionnaire, seed: int = 7
) -> tuple[dict[str, object], dict[str, str]]:
    """Plausible random answers: levels 0–4 (a few «No sé»/«No aplica»), numbers in range."""
    rng = random.Random(seed)
    answers: dict[str, object] = {}
    sources: dict[str, str] = {}
    for question in compiled.questions:
        if isinstance(question, schema.PracticeQuestion):
            draw = rng.random()
            if draw < 0.06 and question.permite_no_se:
                answers[question.id] = "no_se"
            elif draw < 0.1 and question.permite_no_aplica:
                answers[question.id] = "no_aplica"
                answers[question.id + REASON_SUFFIX] = "No forma parte de nuestro proceso."
            else:
                answers[question.id] = rng.choices(range(5), weights=[2, 4, 5, 3, 1])[0]
        elif isinstance(question, schema.NumberQuestion) and question.id in PROFILE:
            answers[question.id] = PROFILE[question.id]
            sources[question.id] = rng.choice(["medido", "medido", "estimado"])
        elif isinstance(question, schema.NumberQuestion):
            low, high = float(question.minimo), float(question.maximo)
            span = min(high - low, 10_000.0)
            value = round(low + span * rng.uniform(0.3, 0.9), min(question.decimales, 2))
            answers[question.id] = value
            sources[question.id] = rng.choice(["medido", "medido", "estimado"])
        elif isinstance(question, schema.RequirementQuestion):
            answers[question.id] = rng.choices(["si", "en_tramite", "no"], weights=[8, 1, 1])[0]
        elif isinstance(question, schema.SingleChoiceQuestion):
            answers[question.id] = question.opciones[0].valor
        elif isinstance(question, schema.MultipleChoiceQuestion):
            answers[question.id] = [o.valor for o in question.opciones[:2]]
        else:
            answers[question.id] = "Respuesta de ejemplo."
    return answers, sources


SAMPLE_FIRM = Firm(
    razon_social="Conservas y Envases del Pacífico S.A.C.",
    ruc="20512345674",
    ciiu_division="10",
    ciiu_nombre="Elaboración de productos alimenticios",
    region="Lima Metropolitana",
    tamano="Pequeña empresa",
    trabajadores=48,
)


def sample_peers(result: ScoreResult) -> dict:
    """Peer figures around the sample's own scores (for layout, not real statistics)."""
    peers: dict[str, object] = {"group_label": "División CIIU 10 · Pequeña empresa (23 empresas)"}
    for score in [result.global_, *result.dimensiones, *result.rutas]:
        if score.puntaje is None:
            continue
        median = max(5.0, min(95.0, 45.0 + sum(map(ord, score.id)) % 15))
        peers[score.id] = {"median": median, "q1": median - 12.0, "q3": median + 11.0}
    return peers


def sample_report(
    depth: str = "completo",
    seed: int = 7,
    firm: Firm = SAMPLE_FIRM,
    with_peers: bool = True,
) -> tuple[ScoreResult, ReportContext]:
    """A scored sample assessment and its report context."""
    compiled = compile_questionnaire(sample_questionnaire(), depth)
    answers, sources = sample_answers(compiled, seed)
    result = score_assessment(compiled, answers, sources)
    context = ReportContext(
        firm=firm,
        assessment_date=dt.datetime(2026, 11, 27, 10, 30),
        submitted=True,
        compiled=compiled,
        answers=answers,
        sources=sources,
        peers=sample_peers(result) if with_peers else None,
    )
    return result, context
