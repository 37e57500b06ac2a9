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
from typing import NamedTuple

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scoring import schema
from scoring.answers import NO_APLICA, NO_SE, REASON_SUFFIX, condition_value
from scoring.catalog import division_module, modules_for, with_modules
from scoring.compiled import CompiledQuestionnaire, compile_questionnaire
from scoring.conditions import condition_met, hidden_questions
from scoring.deflator import price_index
from scoring.modules import LoadedModule
from scoring.peru import ruc_check_digit, size_class, uit_for_year
from scoring.result import score_assessment
from scoring.simulate import typical_span
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.models import Firm, utcnow
from storage.results_table import store_result_vector

# Relative weights; CIIU divisions with the most manufacturing firms in Peru come first.
SECTOR_WEIGHTS = {
    10: 18, 14: 15, 25: 12, 31: 9, 18: 7, 13: 6, 22: 6, 16: 5, 20: 4, 23: 4,
    15: 4, 11: 3, 32: 3, 33: 2, 17: 1, 28: 1, 24: 1, 21: 1,
}  # fmt: skip
# Share of the firms of a division that add a second sector module (by module id).
SECOND_MODULE = {10: ("harina_pescado", 0.15)}
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
    21: "Farmacéutica", 23: "Cerámica", 24: "Metales", 25: "Metalmecánica", 28: "Maquinarias",
    31: "Muebles", 32: "Manufacturas", 33: "Servicios Industriales",
}  # fmt: skip
NAME_WORDS = (
    "Andina", "del Pacífico", "del Sur", "Norteña", "San Martín", "Inca", "Los Andes",
    "Santa Rosa", "El Sol", "Amazónica", "Chavín", "Miraflores", "La Unión", "Mochica",
)  # fmt: skip
LEGAL_FORMS = ("S.A.C.", "E.I.R.L.", "S.R.L.", "S.A.")


class Sector(NamedTuple):
    """Typical figures of a CIIU division; each firm scatters around them (lognormal)."""

    price: float  # sales, S/ per tonne of product
    kwh: float  # kWh per tonne of product
    water: float  # m³ per tonne of product, when the process uses water
    water_use: float  # share of firms whose process uses water
    waste: float  # kg of solid waste per tonne of product
    byproducts: float  # tonnes of by-products per tonne of product
    fuel: float  # share of firms that burn fuels
    women: float  # share of women in the workforce
    value_added: float  # (sales − purchases) ÷ sales
    accidents: float  # disabling accidents per million hours worked
    maquila: float  # share of firms making to the client's design
    consumers: float  # share of firms selling to final consumers (alone or with firms)
    recoverable: float  # % of the product mass recoverable in Peru at end of use
    packaging: float  # tonnes of packaging per tonne of product
    renewable: float  # share of inputs that could be certified renewable
    critical: float = 0.0  # share of inputs that are EU critical raw materials
    hazardous: dict[str, float] = {"aceites_usados": 0.4, "fluorescentes_baterias": 0.4}
    not_applicable: dict[str, float] = {}  # question id -> share declaring «No aplica»


_FOOD_NA = {
    "eco_reparacion_repuestos": 0.5,
    "eco_servicios_circulares": 0.35,
    "amb_reaprovechamiento_interno": 0.12,
}
_OILS = {"aceites_usados": 0.7, "trapos_contaminados": 0.5, "fluorescentes_baterias": 0.4}
_CHEMICALS = {"envases_quimicos": 0.6, "lodos": 0.35, "fluorescentes_baterias": 0.4}
SECTORS: dict[int, Sector] = {
    10: Sector(4500, 650, 8, 0.9, 150, 0.15, 0.8, 0.42, 0.28, 16, 0.1, 0.6, 0, 0.08, 0.15,
               hazardous={"aceites_usados": 0.4, "envases_quimicos": 0.3}, not_applicable=_FOOD_NA),
    11: Sector(2600, 280, 5, 0.95, 60, 0.08, 0.7, 0.3, 0.4, 12, 0.1, 0.7, 0, 0.25, 0.1,
               hazardous={"aceites_usados": 0.4, "envases_quimicos": 0.4}, not_applicable=_FOOD_NA),
    13: Sector(25000, 7000, 100, 0.85, 120, 0.02, 0.7, 0.5, 0.33, 10, 0.3, 0.2, 30, 0.03, 0.05,
               hazardous=_CHEMICALS),
    14: Sector(60000, 3500, 12, 0.3, 90, 0.0, 0.2, 0.65, 0.35, 7, 0.45, 0.5, 25, 0.05, 0.02,
               hazardous={"aceites_usados": 0.3, "fluorescentes_baterias": 0.3},
               not_applicable={"amb_empaques_reciclables": 0.15, "amb_transporte": 0.1}),
    15: Sector(70000, 3000, 8, 0.3, 140, 0.0, 0.25, 0.35, 0.33, 9, 0.25, 0.6, 15, 0.08, 0.02,
               hazardous={"envases_quimicos": 0.5, "trapos_contaminados": 0.3}),
    16: Sector(2200, 350, 1, 0.2, 300, 0.3, 0.4, 0.15, 0.3, 30, 0.1, 0.2, 60, 0.01, 0.2,
               hazardous=_OILS, not_applicable={"amb_empaques_reciclables": 0.3}),
    17: Sector(4000, 1500, 35, 0.9, 80, 0.02, 0.8, 0.25, 0.3, 14, 0.2, 0.2, 80, 0.03, 0.2,
               hazardous=_CHEMICALS),
    18: Sector(12000, 1100, 3, 0.4, 130, 0.0, 0.2, 0.35, 0.4, 8, 0.6, 0.3, 80, 0.04, 0.1,
               hazardous={"envases_quimicos": 0.7, "trapos_contaminados": 0.6}),
    20: Sector(6500, 900, 6, 0.85, 60, 0.02, 0.6, 0.3, 0.35, 11, 0.15, 0.4, 20, 0.12, 0.05,
               critical=0.01, hazardous=_CHEMICALS),
    22: Sector(9000, 2100, 2, 0.5, 45, 0.0, 0.3, 0.25, 0.3, 14, 0.3, 0.3, 60, 0.05, 0.01,
               hazardous=_OILS),
    23: Sector(900, 380, 1, 0.7, 70, 0.0, 0.9, 0.12, 0.38, 22, 0.1, 0.3, 40, 0.02, 0.01,
               hazardous=_OILS),
    25: Sector(12000, 1400, 3, 0.4, 110, 0.0, 0.4, 0.1, 0.32, 28, 0.35, 0.2, 90, 0.03, 0.0,
               critical=0.02, hazardous=_OILS),
    28: Sector(25000, 2400, 4, 0.3, 90, 0.0, 0.3, 0.12, 0.35, 20, 0.3, 0.1, 85, 0.03, 0.0,
               critical=0.03, hazardous=_OILS),
    31: Sector(15000, 1200, 1, 0.15, 200, 0.05, 0.2, 0.15, 0.35, 20, 0.2, 0.7, 40, 0.04, 0.15,
               hazardous={"envases_quimicos": 0.4, "trapos_contaminados": 0.4}),
    32: Sector(40000, 2800, 5, 0.3, 100, 0.0, 0.25, 0.45, 0.38, 9, 0.3, 0.6, 30, 0.06, 0.03,
               critical=0.01),
    33: Sector(50000, 2000, 5, 0.3, 150, 0.0, 0.3, 0.12, 0.45, 18, 0.7, 0.05, 60, 0.01, 0.0,
               critical=0.02, hazardous=_OILS,
               not_applicable={"amb_empaques_reciclables": 0.35, "eco_servicios_circulares": 0.1}),
}  # fmt: skip
DEFAULT_SECTOR = Sector(
    20000, 1500, 5, 0.4, 120, 0.02, 0.4, 0.3, 0.33, 15, 0.3, 0.3, 40, 0.05, 0.05
)
# One-line reasons for a «No aplica» the profile does not decide (the form asks for one).
NA_REASONS = {
    "eco_reparacion_repuestos": "Nuestros productos se consumen; no se reparan.",
    "eco_servicios_circulares": "Vendemos productos que se consumen en un solo uso.",
    "amb_reaprovechamiento_interno": "Las normas sanitarias no permiten reprocesar las mermas.",
    "amb_empaques_reciclables": "Despachamos sin empaque o con el empaque que pone el cliente.",
    "amb_transporte": "No realizamos ni contratamos transporte: el cliente recoge en planta.",
}
# Share of firms (at latent level 1.5) meeting each legal-floor item.
FLOOR_MET = {
    "piso_iga": 0.74, "piso_declaracion_residuos": 0.72, "piso_manifiestos_peligrosos": 0.8,
    "piso_vertimientos": 0.72, "piso_sst_basicos": 0.88, "piso_planilla": 0.92, "piso_itse": 0.83,
}  # fmt: skip
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


def _clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return float(min(max(value, low), high))


def _profile(rng: np.random.Generator, firm: Firm, sector: Sector) -> dict[str, object]:
    """Profile answers consistent with the firm's size, division and sector habits."""
    size = str(firm.size_class)
    big = size in ("mediana", "grande")
    draw = rng.random()
    design = (
        "cliente"
        if draw < sector.maquila
        else ("ambos" if draw < sector.maquila + 0.15 else "empresa")
    )
    draw = rng.random()
    consumers = sector.consumers
    clients = (
        "consumidores" if draw < consumers * 0.5 else ("ambos" if draw < consumers else "empresas")
    )
    own = {"micro": 0.3, "pequena": 0.5, "mediana": 0.75, "grande": 0.9}[size]
    free_client = {"micro": 0.0, "pequena": 0.02, "mediana": 0.25, "grande": 0.6}[size]
    draw = rng.random()
    electricity = "libre" if draw < free_client else ("sin_red" if draw > 0.99 else "regulado")
    water = rng.random() < sector.water_use
    if water:
        draw = rng.random()
        discharge = (
            "alcantarillado" if draw < 0.82 else ("cuerpo_agua" if draw < 0.94 else "no_vierte")
        )
    else:
        discharge = "no_vierte" if rng.random() < 0.85 else "alcantarillado"
    scale = 0.6 if size == "micro" else 1.0
    hazardous = [
        kind for kind, p in sector.hazardous.items() if rng.random() < min(0.95, p * scale)
    ]
    return {
        "perfil_tamano": size,
        "perfil_diseno": design,
        "perfil_clientes": clients,
        "perfil_local": "propio" if rng.random() < own else "alquilado",
        "perfil_electricidad": electricity,
        "perfil_agua_proceso": "si" if water else "no",
        "perfil_vertimiento": discharge,
        "perfil_peligrosos": hazardous or ["ninguno"],
        "perfil_combustibles": "si" if rng.random() < sector.fuel + 0.2 * big else "no",
    }


def _numbers(
    rng: np.random.Generator,
    firm: Firm,
    sector: Sector,
    profile: dict[str, object],
    m: float,
    year: int,
) -> dict[str, float]:
    """Plausible plant figures for the 12 months ending in ``year``; ``m`` is maturity on 0–1
    (circular shares grow and intensities fall with it, around the division's typical values).
    """

    def noisy(x: float, sigma: float = 0.3) -> float:
        return float(x * rng.lognormal(0, sigma))

    def pct(mean: float, sd: float) -> float:
        return round(_clip(rng.normal(mean, sd), 0, 100), 1)

    better = float(np.exp(-0.4 * (m - 0.4)))  # intensity factor: mature plants use less
    workers, sales = firm.workers, float(firm.annual_sales) * float(rng.lognormal(0, 0.08))
    va_share = _clip(noisy(sector.value_added, 0.2), 0.08, 0.8)
    hours = workers * float(rng.uniform(2100, 2450))
    product = noisy(sales / sector.price, 0.35)
    packaging = noisy(product * sector.packaging, 0.3)
    byproducts = noisy(product * sector.byproducts, 0.3)
    residues = noisy(product * sector.waste / 1000 * better, 0.3)
    inputs = (product + packaging + byproducts + residues) * float(rng.uniform(1.02, 1.15))
    renewable_in = inputs * _clip(sector.renewable * (0.3 + 1.4 * m) * rng.lognormal(0, 0.3))
    recycled_in = inputs * _clip(0.02 + 0.18 * m + rng.normal(0, 0.03), 0.0, 0.5)
    valorized = _clip(0.08 + 0.75 * m + rng.normal(0, 0.1), 0, 0.98)
    energy = noisy(product * sector.kwh * better, 0.3)
    if profile["perfil_electricidad"] == "libre":
        green = _clip(0.1 + 0.5 * m + rng.normal(0, 0.15))
    else:  # own solar panels or biomass only
        green = _clip(0.08 * m + rng.normal(0, 0.04), 0.0, 0.4)
    fuel = 0.27 if profile["perfil_combustibles"] == "si" else 0.0
    women = workers * _clip(rng.normal(sector.women, 0.1), 0.0, 0.95)
    hours_3y = hours * float(rng.uniform(2.7, 3.0))
    accidents = rng.poisson(hours_3y * sector.accidents * better**2 * rng.lognormal(0, 0.3) / 1e6)
    formal = _clip(
        0.55 + 0.45 * m + (0.1 if firm.size_class != "micro" else 0) + rng.normal(0, 0.08), 0.2
    )
    figures: dict[str, float] = {
        "eco_anio_datos": year,
        "eco_ventas": round(sales, 2),
        "eco_compras": round(sales * (1 - va_share), 2),
        "eco_horas": round(hours),
        "eco_trabajadores": workers,
        "soc_horas_capacitacion": round(noisy(workers * (5 + 40 * m), 0.4)),
        "soc_accidentes_3a": int(accidents),
        "soc_horas_3a": round(hours_3y),
        "soc_trabajadores_planilla": min(workers, round(workers * formal)),
        "soc_trabajadoras_mujeres": round(women),
        "amb_masa_entrada_total": round(inputs, 2),
        "amb_masa_entrada_renovable": round(renewable_in, 2),
        "amb_masa_entrada_no_virgen": round(min(recycled_in, inputs - renewable_in), 2),
        "amb_salida_productos": round(product, 2),
        "amb_productos_recuperable_pct": pct(sector.recoverable, 8),
        "amb_productos_recuperado_pct": pct(5 + 40 * m, 8),
        "amb_salida_empaques": round(packaging, 2),
        "amb_empaques_recuperable_pct": pct(65, 15),
        "amb_empaques_recuperado_pct": pct(8 + 40 * m, 8),
        "amb_salida_subproductos": round(byproducts, 2),
        "amb_subproductos_uso_material_pct": pct(45 + 50 * m, 12),
        "amb_salida_residuos": round(residues, 2),
        "amb_residuos_reciclados": round(residues * valorized, 2),
        "amb_salida_energetica": round(residues * _clip(rng.normal(0.03, 0.03), 0, 0.2), 2),
        "amb_energia_total": round(energy),
        "amb_energia_renovable": round(energy * green),
        "amb_emisiones_gei": round(energy * (1 - green) * (0.2 + fuel) / 1000, 2),
    }
    if profile["perfil_agua_proceso"] == "si":
        water = noisy(product * sector.water * better, 0.35)
        reuse = _clip(0.02 + 0.35 * m + rng.normal(0, 0.08), 0, 0.8)  # of total use
        circular = _clip(rng.normal(0.02 + 0.12 * m, 0.03))
        figures["amb_agua_extraida"] = round(water, 1)
        figures["amb_agua_extraida_circular"] = round(water * circular, 1)
        figures["amb_agua_recirculada"] = round(water * reuse / (1 - reuse), 1)
    else:
        water = product * 0.2  # cleaning only
    if profile["perfil_vertimiento"] != "no_vierte":
        discharged = water * float(rng.uniform(0.6, 0.9))
        figures["amb_agua_descargada"] = round(discharged, 1)
        figures["amb_agua_descarga_circular"] = round(
            discharged * _clip(0.25 + 0.65 * m + rng.normal(0, 0.15)), 1
        )
    if rng.random() < 0.4 + 0.4 * m:  # the optional productivity base year
        back = int(rng.choice([1, 2, 3], p=[0.3, 0.3, 0.4]))
        growth = rng.normal(0.005 + 0.03 * m, 0.04)  # real value added per hour, per year
        prices = price_index()
        base_hours = hours * float(rng.uniform(0.9, 1.05))
        base_va = (
            sales * va_share / hours / (1 + growth) ** back * base_hours
            * prices[year - back] / prices[year]
        )  # fmt: skip
        base_sales = base_va / _clip(va_share * rng.lognormal(0, 0.08), 0.05, 0.85)
        figures |= {
            "eco_anios_atras": back,
            "eco_ventas_base": round(base_sales, 2),
            "eco_compras_base": round(base_sales - base_va, 2),
            "eco_horas_base": round(base_hours),
        }
    if byproducts > 0 and rng.random() < 0.6:
        figures["eco_ingresos_subproductos"] = round(byproducts * float(rng.uniform(80, 600)))
    if rng.random() < 0.5:
        figures["amb_masa_criticos"] = round(inputs * sector.critical * float(rng.uniform(0, 2)), 2)
    return figures


def _module_numbers(compiled: CompiledQuestionnaire) -> dict[str, schema.NumberQuestion]:
    """The number questions that sector modules add to ``compiled``."""
    themes = {t for m in compiled.model.modulos for t in m.ejes}
    return {q.id: q for q in compiled.numbers if compiled.theme_of.get(q.id) in themes}


def _module_choices(rng: np.random.Generator, compiled: CompiledQuestionnaire) -> dict:
    """Answers to the choice questions sector modules add (what the plant makes, which
    processes it runs), drawn before anything else: they decide which module questions show."""
    themes = {t for m in compiled.model.modulos for t in m.ejes}
    answers: dict[str, object] = {}
    for question in compiled.questions:
        if compiled.theme_of.get(question.id) not in themes:
            continue
        options = [o.valor for o in getattr(question, "opciones", [])]
        if isinstance(question, schema.SingleChoiceQuestion):
            answers[question.id] = options[int(rng.integers(len(options)))]
        elif isinstance(question, schema.MultipleChoiceQuestion):
            picked = [o for o in options if rng.random() < 0.4]
            answers[question.id] = picked or [options[int(rng.integers(len(options)))]]
    return answers


def _module_figures(
    rng: np.random.Generator,
    compiled: CompiledQuestionnaire,
    questions: dict[str, schema.NumberQuestion],
    m: float,
) -> dict[str, float]:
    """Figures for sector-module questions, drawn per indicator so it lands somewhere plausible:
    a percentage ``a / b * 100`` (or ``a / (a + b) * 100``) takes ``a`` as a share that grows
    with maturity ``m`` (0–1), or falls with it when less is better; other inputs are drawn
    inside each question's range, as the simulator does."""
    if not questions:
        return {}

    def draw(question: schema.NumberQuestion) -> float:
        span = min(question.maximo - question.minimo, typical_span(question))
        value = question.minimo + span * rng.beta(2, 5)
        return round(float(value), min(question.decimales, 2))

    figures: dict[str, float] = {}
    for info in compiled.indicators:
        names = [n for n in info.formula.names if n in questions]
        if not names:
            continue
        if info.model.unidad.strip() == "%" and len(info.formula.names) == 2 == len(names):
            part, other = info.formula.names
            share = _clip(0.05 + 0.7 * m + rng.normal(0, 0.1), 0.0, 1.0)
            if info.model.mejor == "menor":  # mature plants lose less, so the share falls
                share = 1.0 - share
            top = float(questions[part].maximo)
            if "+" in info.model.formula:  # a / (a + b): the parts of one total
                total = draw(questions[part]) * 2
                figures.setdefault(part, round(min(total * share, top), 2))
                figures.setdefault(other, round(total - figures[part], 2))
            else:  # a / b: a part of the total b
                total = figures.setdefault(other, draw(questions[other]))
                figures.setdefault(part, round(min(total * share, top), 2))
            continue
        for name in names:
            figures.setdefault(name, draw(questions[name]))
    for ident, question in questions.items():
        figures.setdefault(ident, draw(question))
    return figures


def demo_answers(
    compiled: CompiledQuestionnaire,
    rng: np.random.Generator,
    firm: Firm,
    latent: float,
    difficulty: dict[str, float],
    year: int | None = None,
) -> tuple[dict[str, object], dict[str, str]]:
    """Answers of one firm whose levels scatter around ``latent`` (0–4).

    Profile answers follow the firm (size from its registration); questions the profile makes
    «No aplica» or hides are left unanswered, as the form does; a few «No sé» and a few «No
    aplica» with a one-line reason (``<id>__motivo``); numbers for the 12 months ending in
    ``year`` (default: last year).
    """
    sector = SECTORS.get(int(firm.ciiu_division), DEFAULT_SECTOR)
    answers: dict[str, object] = {}
    sources: dict[str, str] = {}
    dont_know = 0.08 if firm.size_class == "micro" else 0.04
    number_dont_know = 0.02 if firm.size_class == "micro" else 0.008
    m = _clip(latent / 4)
    profile = _profile(rng, firm, sector) | _module_choices(rng, compiled)
    hidden = hidden_questions(compiled, profile)

    def value_of(qid: str) -> object:
        return condition_value(compiled, qid, profile.get(qid))

    year = utcnow().year - 1 if year is None else year
    figures: dict[str, float] = {}
    module_numbers = _module_numbers(compiled)
    for question in compiled.questions:
        if question.id in profile:
            answers[question.id] = profile[question.id]
            continue
        if question.id in hidden:
            continue
        draw = rng.random()
        if isinstance(question, schema.PracticeQuestion):
            if question.no_aplica_si is not None and condition_met(question.no_aplica_si, value_of):
                continue  # the form shows «No aplica según su perfil» and asks nothing
            reason = NA_REASONS.get(question.id)
            na_share = sector.not_applicable.get(question.id, 0.03)
            if draw < dont_know and question.permite_no_se:
                answers[question.id] = NO_SE
            elif reason and question.permite_no_aplica and rng.random() < na_share:
                answers[question.id] = NO_APLICA
                answers[question.id + REASON_SUFFIX] = reason
            else:
                level = latent + difficulty.get(question.id, 0.0) + rng.normal(0, 0.8)
                answers[question.id] = int(np.clip(np.rint(level), 0, 4))
        elif isinstance(question, schema.NumberQuestion):
            if not figures:
                figures = _numbers(rng, firm, sector, profile, m, year)
                figures |= _module_figures(rng, compiled, module_numbers, m)
            if question.id not in figures:
                continue  # an optional figure the firm does not give
            if draw < number_dont_know and question.permite_no_se:
                answers[question.id], sources[question.id] = NO_SE, NO_SE
                continue
            value = figures[question.id]
            if question.id == "eco_anio_datos":
                value = int(np.clip(value, float(question.minimo), float(question.maximo)))
            answers[question.id] = value
            sources[question.id] = "medido" if rng.random() < 0.3 + latent / 8 else "estimado"
        elif isinstance(question, schema.RequirementQuestion):  # legal floor (method 2.0)
            allowed = question.no_corresponde_si is not None and condition_met(
                question.no_corresponde_si, value_of
            )
            met = _clip(FLOOR_MET.get(question.id, 0.8) + 0.05 * (latent - 1.5), 0.55, 0.98)
            if allowed:
                answers[question.id] = "no_corresponde"
            elif draw < met:
                answers[question.id] = "si"
            else:
                answers[question.id] = "en_tramite" if rng.random() < 0.45 else "no"
        elif isinstance(question, schema.SingleChoiceQuestion):
            answers[question.id] = question.opciones[0].valor
        elif isinstance(question, schema.MultipleChoiceQuestion):
            answers[question.id] = [question.opciones[0].valor]
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
    # A «No aplica» reason is stored as the answer's comment, as the form does.
    reasons = {
        key.removesuffix(REASON_SUFFIX): str(value)
        for key, value in answers.items()
        if key.endswith(REASON_SUFFIX)
    }
    stored_answers = {k: v for k, v in answers.items() if not k.endswith(REASON_SUFFIX)}
    save_answers(session, assessment.id, firm.id, stored_answers, sources, comments=reasons)
    result = score_assessment(compiled, answers, sources)
    stored = submit(session, assessment.id, firm.id, result_summary(result))
    assessment.created_at = when - dt.timedelta(days=3)
    assessment.updated_at = assessment.submitted_at = stored.scored_at = when
    store_result_vector(session, assessment.id, compiled, result)


class _Questionnaires:
    """The questionnaire of each demo firm: the base one plus the sector module of its CIIU
    division (and, for some, a second one), compiled once per set of modules and depth."""

    def __init__(self, base: dict[str, CompiledQuestionnaire], modules) -> None:
        self.base, self.modules, self.cache = base, modules or {}, {}

    def module_ids(self, rng: np.random.Generator, division: int) -> tuple[str, ...]:
        if not self.modules:
            return ()
        core = next(iter(self.base.values())).loaded
        primary = division_module(core, self.modules, division)
        ids = [primary.id] if primary else []
        extra, share = SECOND_MODULE.get(division, ("", 0.0))
        if extra in modules_for(core, self.modules) and rng.random() < share:
            ids.append(extra)
        return tuple(sorted(ids))

    def compiled(self, ids: tuple[str, ...], depth: str) -> CompiledQuestionnaire:
        if not ids:
            return self.base[depth]
        if (ids, depth) not in self.cache:
            merged = with_modules(self.base[depth].loaded, self.modules, list(ids))
            self.cache[(ids, depth)] = compile_questionnaire(merged, depth)
        return self.cache[(ids, depth)]


def create_demo(
    session: Session,
    compiled: dict[str, CompiledQuestionnaire],
    firms: int,
    seed: int | None = None,
    now: dt.datetime | None = None,
    modules: dict[str, LoadedModule] | None = None,
) -> DemoSummary:
    """Add ``firms`` demo firms with their assessments; ``compiled`` maps depth -> questionnaire.

    With ``modules`` (``scoring.catalog.available_modules()``) each firm answers the sector
    module of its CIIU division too, and some food firms add fishmeal as a second activity."""
    rng = np.random.default_rng(seed)
    questionnaires = _Questionnaires(compiled, modules)
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
        chosen = questionnaires.compiled(
            questionnaires.module_ids(rng, int(firm.ciiu_division)), depth
        )
        again = rng.random() < REASSESSED
        days = rng.uniform(370, 730) if again else rng.uniform(1, 730)
        first = now - dt.timedelta(days=float(days), hours=float(rng.uniform(0, 10)))
        dates = [first]
        if again:
            dates.append(min(now, first + dt.timedelta(days=float(rng.uniform(330, 400)))))
            reassessed += 1
        for position, when in enumerate(dates):
            level = latent + (rng.uniform(0.2, 0.7) if position else 0.0)
            answers, sources = demo_answers(
                chosen, rng, firm, level, difficulty, year=when.year - 1
            )
            _store(session, chosen, firm, answers, sources, when)
            assessments += 1
    session.flush()
    return DemoSummary(firms, assessments, reassessed)
