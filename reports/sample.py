"""A sample assessment (firm, answers, peers) for demos, benchmarks and report tests.

Uses the shipped base questionnaire (2.0.0). Numbers and profile answers come from one
plausible plant (``PROFILE``, ``PROFILE_CHOICES``; the size from the registration) when the
question id is known, otherwise from a random draw inside the question's range; practice levels
and legal-floor answers are drawn from ``seed``.

``sample_textile_report`` is the same for a garment plant with the «Textil y confecciones»
sector module (``TEXTILE_PROFILE``), with peer figures and comparisons within its division and
within the module, so the report shows its «Módulo sectorial» section.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping

from reports.context import Firm, ReportContext
from scoring import schema
from scoring.answers import REASON_SUFFIX
from scoring.catalog import available_modules, default_questionnaire, with_modules
from scoring.compiled import CompiledQuestionnaire, compile_questionnaire
from scoring.loader import LoadedQuestionnaire
from scoring.peers import SectorComparison
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
    compiled: CompiledQuestionnaire,
    seed: int = 7,
    profile: Mapping[str, float] = PROFILE,
    choices: Mapping[str, object] = PROFILE_CHOICES,
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
        elif isinstance(question, schema.NumberQuestion) and question.id in profile:
            answers[question.id] = profile[question.id]
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
        elif question.id in choices:
            answers[question.id] = choices[question.id]
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


def sample_peers(result: ScoreResult, firm: Firm = SAMPLE_FIRM) -> dict:
    """Peer figures around the sample's own scores (for layout, not real statistics)."""
    label = f"División CIIU {firm.ciiu_division} · {firm.tamano} (23 empresas)"
    peers: dict[str, object] = {"group_label": label}
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
        peers=sample_peers(result, firm) if with_peers else None,
    )
    return result, context


# A plausible garment plant in Ate (Lima) with its own washing and dyeing line: 62 workers,
# S/ 11.2 million of sales (Ley 30056 «pequeña»), 240 000 garments a year from about 70 t of
# fabric (mostly cotton). The core figures replace the cannery's; the module's are in sector
# units (kg of retazos, garments, m³ and GJ per tonne processed).
TEXTILE_PROFILE: dict[str, float] = {
    **PROFILE,
    "eco_ventas": 11_200_000,
    "eco_compras": 6_900_000,
    "eco_horas": 142_600,  # 62 workers × 2 300 h
    "eco_trabajadores": 62,
    "eco_ventas_base": 10_100_000,
    "eco_compras_base": 6_300_000,
    "eco_horas_base": 135_700,
    "eco_ingresos_subproductos": 38_000,  # retazos sold to recyclers
    "soc_horas_capacitacion": 1_490,
    "soc_accidentes_3a": 3,
    "soc_horas_3a": 414_000,
    "soc_trabajadores_planilla": 57,
    "soc_trabajadoras_mujeres": 38,
    "amb_masa_entrada_total": 96.0,  # fabric, thread, trims, dyes and chemicals, packaging (t)
    "amb_masa_entrada_renovable": 58.0,
    "amb_masa_entrada_no_virgen": 7.0,
    "amb_masa_criticos": 0.0,
    "amb_salida_productos": 62.0,
    "amb_productos_recuperable_pct": 40.0,
    "amb_productos_recuperado_pct": 5.0,
    "amb_salida_empaques": 6.5,
    "amb_empaques_recuperable_pct": 80.0,
    "amb_empaques_recuperado_pct": 35.0,
    "amb_salida_subproductos": 12.0,  # retazos
    "amb_subproductos_uso_material_pct": 90.0,
    "amb_salida_residuos": 9.0,
    "amb_residuos_reciclados": 3.5,
    "amb_salida_energetica": 0.0,
    "amb_agua_extraida": 8_600.0,
    "amb_agua_extraida_circular": 0.0,
    "amb_agua_recirculada": 1_100.0,
    "amb_agua_descargada": 7_700.0,
    "amb_agua_descarga_circular": 6_900.0,
    "amb_energia_total": 690_000,
    "amb_energia_renovable": 60_000,
    "amb_emisiones_gei": 210.0,
    # Module «textil»: about 50 kg of retazos per 1 000 garments, 123 m³ and 24 GJ per tonne.
    "tex_prendas_producidas": 240_000,
    "tex_kg_retazos": 12_000,
    "tex_kg_retazos_reciclados": 5_400,
    "tex_t_tela_humedo": 48.0,
    "tex_agua_humedo": 5_900,
    "tex_energia_humedo": 1_150,
    "tex_kg_fibra_total": 70_000,
    "tex_kg_fibra_circular": 8_400,
}
TEXTILE_CHOICES: dict[str, object] = {
    **PROFILE_CHOICES,
    "perfil_diseno": "ambos",  # own lines and maquila for brands
    "perfil_peligrosos": ["aceites_usados", "envases_quimicos"],
}
SAMPLE_TEXTILE_FIRM = Firm(
    razon_social="Confecciones Andinas del Sur S.A.C.",
    ruc="20604827311",
    ciiu_division="14",
    ciiu_nombre="Fabricación de prendas de vestir",
    region="Lima Metropolitana",
    tamano="Pequeña empresa",
    trabajadores=62,
)


def sample_sector(result: ScoreResult) -> dict[str, SectorComparison]:
    """Comparisons of the ``comparar_en_sector`` indicators (for layout, not real statistics):
    the core ones within the division (12 firms), the module ones within the module (9 firms),
    except the module's last one, whose group is too small to publish."""
    compared = [i for i in result.indicadores if i.comparar_en_sector and i.valido]
    in_module = [i for i in compared if result.module_of_indicator(i.id)]
    found = {}
    for ind in compared:
        n = 9 if ind in in_module else 12
        share = 20.0 + (sum(map(ord, ind.id)) % 7) * 10.0  # 20–80 %
        if in_module and ind is in_module[-1]:
            n, share = 3, None
        ahead = share is None or share >= 50  # the firm is better than the median
        lower_is_better = ind.mejor == "menor"
        median = None if share is None else ind.valor * (1.2 if ahead == lower_is_better else 0.8)
        found[ind.id] = SectorComparison(ind.id, float(ind.valor), median, n, share)
    return found


def sample_textile_report(
    depth: str = "completo", seed: int = 7, with_peers: bool = True
) -> tuple[ScoreResult, ReportContext]:
    """A scored sample assessment of a garment plant with the «textil» module, and its context."""
    questionnaire = with_modules(sample_questionnaire(), available_modules(), ["textil"])
    compiled = compile_questionnaire(questionnaire, depth)
    answers, sources = sample_answers(compiled, seed, TEXTILE_PROFILE, TEXTILE_CHOICES)
    result = score_assessment(compiled, answers, sources)
    context = ReportContext(
        firm=SAMPLE_TEXTILE_FIRM,
        assessment_date=dt.datetime(2026, 11, 27, 10, 30),
        submitted=True,
        compiled=compiled,
        answers=answers,
        sources=sources,
        peers=sample_peers(result, SAMPLE_TEXTILE_FIRM) if with_peers else None,
        sector=sample_sector(result) if with_peers else None,
    )
    return result, context
