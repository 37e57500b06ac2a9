"""Synthetic demo firms and assessments (``python -m storage demo``), clearly marked "(DEMO)".

Firms follow the make-up of Peruvian manufacturing (many micro and small firms, Lima first);
answers follow a latent maturity that grows a little with size, and about 30 % of firms repeat
the assessment a year later with some improvement. Every assessment goes through the real path:
``save_answers``, the scoring engine, ``submit`` and ``store_result_vector``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scoring import schema
from scoring.answers import NO_APLICA, NO_SE
from scoring.compiled import CompiledQuestionnaire
from scoring.peru import ruc_check_digit, size_class, uit_for_year
from scoring.result import score_assessment
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.models import Firm, utcnow
from storage.results_table import store_result_vector

# Relative weights; CIIU divisions with the most manufacturing firms in Peru come first.
SECTOR_WEIGHTS = {
    10: 18, 14: 15, 25: 12, 31: 9, 18: 7, 13: 6, 22: 6, 16: 5, 20: 4, 23: 4,
    15: 4, 11: 3, 32: 3, 33: 2, 17: 1, 28: 1,
}  # fmt: skip
REGION_WEIGHTS = {
    "Lima Metropolitana": 45, "Arequipa": 9, "La Libertad": 8, "Callao": 6, "Piura": 5,
    "Lambayeque": 4, "Junín": 4, "Cusco": 3, "Ica": 3, "Lima Provincias": 3, "Áncash": 2,
    "Cajamarca": 2, "Puno": 2, "San Martín": 1, "Tacna": 1, "Loreto": 1, "Ucayali": 1,
}  # fmt: skip
# Share of firms and sales range (in UIT) per size class, Ley 30056.
SIZE_MIX = {"micro": (0.58, 20, 150), "pequena": (0.32, 151, 1700), "mediana": (0.04, 1701, 2300),
            "grande": (0.06, 2301, 40000)}  # fmt: skip
WORKERS = {"micro": (2, 10), "pequena": (10, 60), "mediana": (40, 120), "grande": (100, 900)}
SIZE_MATURITY = {"micro": 1.0, "pequena": 1.5, "mediana": 2.0, "grande": 2.5}
SECTOR_WORDS = {
    10: "Alimentos", 11: "Bebidas", 13: "Textiles", 14: "Confecciones", 15: "Calzado",
    16: "Maderas", 17: "Papeles", 18: "Gráfica", 20: "Química", 22: "Plásticos",
    23: "Cerámica", 25: "Metalmecánica", 28: "Maquinarias", 31: "Muebles", 32: "Manufacturas",
    33: "Servicios Industriales",
}  # fmt: skip
NAME_WORDS = (
    "Andina", "del Pacífico", "del Sur", "Norteña", "San Martín", "Inca", "Los Andes",
    "Santa Rosa", "El Sol", "Amazónica", "Chavín", "Miraflores", "La Unión", "Mochica",
)  # fmt: skip
LEGAL_FORMS = ("S.A.C.", "E.I.R.L.", "S.R.L.", "S.A.")
REASSESSED = 0.3
COMPLETO_SHARE = 0.75


@dataclass
class DemoSummary:
    firms: int
    assessments: int
    reassessed: int


def demo_ruc(rng: np.random.Generator) -> str:
    first_ten = "20" + "".join(str(d) for d in rng.integers(0, 10, size=8))
    return first_ten + str(ruc_check_digit(first_ten))


def _pick(rng: np.random.Generator, weights: dict) -> object:
    keys = list(weights)
    p = np.array([float(weights[k]) for k in keys])
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def count_demo(session: Session) -> int:
    """How many demo firms the database holds."""
    return len(list(session.scalars(select(Firm.id).where(Firm.is_demo.is_(True)))))


def remove_demo(session: Session) -> int:
    """Delete every demo firm; the database cascades to its assessments, answers and results."""
    ids = list(session.scalars(select(Firm.id).where(Firm.is_demo.is_(True))))
    if ids:
        session.execute(delete(Firm).where(Firm.id.in_(ids)))
    return len(ids)


def _firm(rng: np.random.Generator, index: int, taken: set[str]) -> tuple[Firm, float]:
    size = _pick(rng, {k: v[0] for k, v in SIZE_MIX.items()})
    _, low, high = SIZE_MIX[size]
    year = utcnow().year - 1
    sales = Decimal(int(rng.uniform(low, high) * uit_for_year(year).soles))
    low_workers, high_workers = WORKERS[str(size)]
    workers = int(rng.integers(low_workers, high_workers))
    ciiu = int(_pick(rng, SECTOR_WEIGHTS))
    ruc = demo_ruc(rng)
    while ruc in taken:
        ruc = demo_ruc(rng)
    taken.add(ruc)
    name = (
        f"{SECTOR_WORDS.get(ciiu, 'Industrias')} {NAME_WORDS[index % len(NAME_WORDS)]} "
        f"{index + 1} {LEGAL_FORMS[int(rng.integers(len(LEGAL_FORMS)))]} (DEMO)"
    )
    firm = Firm(
        ruc=ruc,
        razon_social=name,
        ciiu_division=ciiu,
        region=str(_pick(rng, REGION_WEIGHTS)),
        annual_sales=sales,
        sales_year=year,
        size_class=size_class(sales, year),
        workers=workers,
        email=f"demo{index + 1}@ejemplo.pe",
        consent_share_sni=bool(rng.random() < 0.85),
        consent_statistics=bool(rng.random() < 0.93),
        is_demo=True,
    )
    latent = SIZE_MATURITY[firm.size_class] + rng.normal(0, 0.7)
    return firm, float(np.clip(latent, 0.0, 3.6))


def _numbers(rng: np.random.Generator, firm: Firm, m: float) -> dict[str, float]:
    """Plausible plant figures; ``m`` is maturity on 0–1 (circular shares grow with it)."""

    def noisy(x: float) -> float:
        return float(x * rng.lognormal(0, 0.25))

    def share(base: float, slope: float) -> float:
        return float(np.clip(base + slope * m + rng.normal(0, 0.05), 0.0, 0.95))

    workers, sales = firm.workers, float(firm.annual_sales)
    product = noisy(sales / 9000)
    inputs = product * 1.15
    residues = product * share(0.25, -0.12)
    energy = noisy(product * 900)
    water = noisy(product * 12)
    growth = rng.normal(0.01 + 0.03 * m, 0.04)
    women = {13: 0.55, 14: 0.65, 10: 0.4}.get(firm.ciiu_division, 0.25)
    return {
        "eco_ventas_anuales": round(sales, 2),
        "eco_trabajadores": workers,
        "eco_ventas_anio_anterior": round(sales / (1 + growth), 2),
        "eco_trabajadores_anio_anterior": workers,
        "soc_horas_capacitacion": round(noisy(workers * (4 + 36 * m))),
        "soc_horas_hombre": workers * 2300,
        "soc_accidentes": int(rng.poisson(workers * 2300 * (40 - 30 * m) / 1e6)),
        "soc_trabajadores_planilla": round(workers * share(0.45, 0.5)),
        "soc_trabajadoras_mujeres": round(workers * float(np.clip(rng.normal(women, 0.1), 0, 1))),
        "amb_masa_entrada_total": round(inputs, 2),
        "amb_masa_entrada_renovable": round(inputs * share(0.05, 0.25), 2),
        "amb_masa_entrada_no_virgen": round(inputs * share(0.02, 0.2), 2),
        "amb_masa_producto": round(product, 2),
        "amb_masa_residuos": round(residues, 2),
        "amb_masa_residuos_valorizados": round(residues * share(0.1, 0.7), 2),
        "amb_masa_producto_recuperado": round(product * 0.03 * m, 2),
        "amb_agua_total": round(water, 2),
        "amb_agua_circular": round(water * share(0.02, 0.4), 2),
        "amb_energia_total": round(energy),
        "amb_energia_renovable": round(energy * share(0.02, 0.35)),
        "amb_emisiones_gei": round(energy * 0.00025 + product * 0.05, 2),
    }


def demo_answers(
    compiled: CompiledQuestionnaire,
    rng: np.random.Generator,
    firm: Firm,
    latent: float,
    difficulty: dict[str, float],
) -> tuple[dict[str, object], dict[str, str]]:
    """Answers of one firm whose levels scatter around ``latent`` (0–4)."""
    answers: dict[str, object] = {}
    sources: dict[str, str] = {}
    dont_know = 0.08 if firm.size_class == "micro" else 0.04
    figures = _numbers(rng, firm, latent / 4)
    for question in compiled.questions:
        draw = rng.random()
        if isinstance(question, schema.PracticeQuestion):
            if draw < dont_know and question.permite_no_se:
                answers[question.id] = NO_SE
            elif draw > 0.96 and question.permite_no_aplica:
                answers[question.id] = NO_APLICA
            else:
                level = latent + difficulty.get(question.id, 0.0) + rng.normal(0, 0.8)
                answers[question.id] = int(np.clip(np.rint(level), 0, 4))
        elif isinstance(question, schema.NumberQuestion):
            if question.id in figures and draw > dont_know:
                answers[question.id] = figures[question.id]
                sources[question.id] = "medido" if rng.random() < 0.3 + latent / 8 else "estimado"
            elif question.permite_no_se:
                answers[question.id], sources[question.id] = NO_SE, NO_SE
        elif isinstance(question, schema.SingleChoiceQuestion):
            options = [o.valor for o in question.opciones]
            answers[question.id] = options[0] if draw < 0.8 else options[-1]
        elif isinstance(question, schema.RequirementQuestion):  # legal floor (method 2.0)
            met = 0.55 + 0.1 * latent
            answers[question.id] = "si" if draw < met else ("en_tramite" if draw < 0.9 else "no")
        elif isinstance(question, schema.MultipleChoiceQuestion):
            chosen = [o.valor for o in question.opciones if rng.random() < 0.4]
            answers[question.id] = chosen or [question.opciones[0].valor]
    return answers, sources


def _store(
    session: Session,
    compiled: CompiledQuestionnaire,
    firm: Firm,
    answers: dict[str, object],
    sources: dict[str, str],
    when: dt.datetime,
) -> None:

    # The loaded questionnaire (not just its id, version and hash): start_assessment archives it.
    assessment = start_assessment(session, firm.id, compiled.loaded, compiled.depth, is_demo=True)
    save_answers(session, assessment.id, firm.id, answers, sources)
    result = score_assessment(compiled, answers, sources)
    stored = submit(session, assessment.id, firm.id, result_summary(result))
    assessment.created_at = when - dt.timedelta(days=3)
    assessment.updated_at = assessment.submitted_at = stored.scored_at = when
    store_result_vector(session, assessment.id, compiled, result)


def create_demo(
    session: Session,
    compiled: dict[str, CompiledQuestionnaire],
    firms: int,
    seed: int | None = None,
    now: dt.datetime | None = None,
) -> DemoSummary:
    """Add ``firms`` demo firms with their assessments; ``compiled`` maps depth -> questionnaire."""
    rng = np.random.default_rng(seed)
    now = now or utcnow()
    taken = set(session.scalars(select(Firm.ruc)))
    practice = {q.id for c in compiled.values() for q in c.practice}
    difficulty = {qid: float(rng.normal(0, 0.5)) for qid in sorted(practice)}
    assessments = reassessed = 0
    for index in range(firms):
        firm, latent = _firm(rng, index, taken)
        session.add(firm)
        session.flush()
        depth = "completo" if rng.random() < COMPLETO_SHARE else "expres"
        again = rng.random() < REASSESSED
        days = rng.uniform(370, 730) if again else rng.uniform(1, 730)
        first = now - dt.timedelta(days=float(days), hours=float(rng.uniform(0, 10)))
        dates = [first]
        if again:
            dates.append(min(now, first + dt.timedelta(days=float(rng.uniform(330, 400)))))
            reassessed += 1
        for position, when in enumerate(dates):
            level = latent + (rng.uniform(0.2, 0.7) if position else 0.0)
            answers, sources = demo_answers(compiled[depth], rng, firm, level, difficulty)
            _store(session, compiled[depth], firm, answers, sources, when)
            assessments += 1
    session.flush()
    return DemoSummary(firms, assessments, reassessed)
