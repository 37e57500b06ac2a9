"""A sample assessment (firm, answers, peers) for demos, benchmarks and report tests.

Uses the shipped base questionnaire (2.0.0). Numbers and profile answers come from one
plausible plant (``PROFILE``, ``PROFILE_CHOICES``; the size from the registration) when the
question id is known, otherwise from a random draw inside the question's range; practice levels
and legal-floor answers are drawn from ``seed``.
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

# A plausible small fish-canning plant in Lima (48 workers, S/ 8.5 million of sales; Ley 30056
# «pequeña»); ids of the base questionnaire 2.0.0. Data year 2025, productivity base year 2023
# (2 years back), accidents and hours over 3 years. Every 2.0.0 indicator is valid with these
# figures: tonnes (t), m³, kWh, soles (S/) and hours.
PROFILE: dict[str, float] = {
    # Economic figures and real labour productivity (value added per hour).
    "eco_anio_datos": 2025,
    "eco_ventas": 8_500_000,
    "eco_compras": 5_600_000,
    "eco_horas": 110_400,  # 48 workers × 2 300 h
    "eco_trabajadores": 48,
    "eco_anios_atras": 2,
    "eco_ventas_base": 7_600_000,
    "eco_compras_base": 5_050_000,
    "eco_horas_base": 105_800,  # 46 workers in 2023
    "eco_ingresos_subproductos": 180_000,
    # People.
    "soc_horas_capacitacion": 1_150,
    "soc_accidentes_3a": 4,
    "soc_horas_3a": 322_000,
    "soc_trabajadores_planilla": 44,
    "soc_trabajadoras_mujeres": 21,
    # Materials in (t): fish with MarinTrust evidence, recycled cardboard, tinplate, salt, oil.
    "amb_masa_entrada_total": 1_240.5,
    "amb_masa_entrada_renovable": 310.0,
    "amb_masa_entrada_no_virgen": 96.25,
    "amb_masa_criticos": 0.0,
    # Flows out (t): canned food is eaten (no recoverable product mass); cans and boxes are.
    "amb_salida_productos": 980.0,
    "amb_productos_recuperable_pct": 0.0,
    "amb_productos_recuperado_pct": 0.0,
    "amb_salida_empaques": 86.0,
    "amb_empaques_recuperable_pct": 85.0,
    "amb_empaques_recuperado_pct": 30.0,
    "amb_salida_subproductos": 120.0,  # heads and viscera to a fishmeal plant
    "amb_subproductos_uso_material_pct": 95.0,
    "amb_salida_residuos": 42.0,
    "amb_residuos_reciclados": 27.0,
    "amb_salida_energetica": 3.0,
    # Water (m³): about 19 m³ per tonne of product.
    "amb_agua_extraida": 18_400.0,
    "amb_agua_extraida_circular": 900.0,
    "amb_agua_recirculada": 2_300.0,
    "amb_agua_descargada": 15_200.0,
    "amb_agua_descarga_circular": 12_900.0,
    # Energy (kWh; electricity plus boiler fuel) and scope 1 + 2 emissions (t CO₂e).
    "amb_energia_total": 1_460_000,
    "amb_energia_renovable": 175_000,
    "amb_emisiones_gei": 520.4,
}

# The same plant's profile answers (size comes from the registration, see ``sample_answers``).
PROFILE_CHOICES: dict[str, object] = {
    "perfil_diseno": "empresa",
    "perfil_clientes": "ambos",
    "perfil_local": "propio",
    "perfil_electricidad": "regulado",
    "perfil_agua_proceso": "si",
    "perfil_vertimiento": "alcantarillado",
    "perfil_peligrosos": ["aceites_usados", "envases_quimicos", "fluorescentes_baterias"],
    "perfil_combustibles": "si",
}
SAMPLE_SIZE = "pequena"  # Ley 30056 class of SAMPLE_FIRM (S/ 8.5 million of sales)
REGISTRATION = {"tamano_empresa": SAMPLE_SIZE}


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
        elif getattr(question, "dato_registro", None) in REGISTRATION:
            answers[question.id] = REGISTRATION[question.dato_registro]
        elif question.id in PROFILE_CHOICES:
            answers[question.id] = PROFILE_CHOICES[question.id]
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
