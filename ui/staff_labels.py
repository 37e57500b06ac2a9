"""Spanish names for the columns, sectors and sizes the staff pages show (no streamlit)."""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring import schema
from scoring.compiled import CompiledQuestionnaire
from scoring.numbers import format_number_es
from scoring.peru import CIIU_DIVISIONS, SIZE_NAMES

SECTOR_SHORT = {
    10: "Alimentos", 11: "Bebidas", 12: "Tabaco", 13: "Textiles", 14: "Prendas de vestir",
    15: "Cuero y calzado", 16: "Madera", 17: "Papel", 18: "Imprenta", 19: "Refinación",
    20: "Químicos", 21: "Farmacéuticos", 22: "Caucho y plástico", 23: "Minerales no metálicos",
    24: "Metales comunes", 25: "Productos de metal", 26: "Electrónica y óptica",
    27: "Equipo eléctrico", 28: "Maquinaria", 29: "Vehículos", 30: "Otro equipo de transporte",
    31: "Muebles", 32: "Otras manufacturas", 33: "Reparación de maquinaria",
}  # fmt: skip
ROUTE_SHORT = {
    "R1": "R1 · Diversificación productiva",
    "R2": "R2 · Innovación y tecnologías limpias",
    "R3": "R3 · Infraestructura sostenible",
}
# The principal score and its band ("No sé" counted 0, left out, or as the top level).
BAND_NAMES = {
    "global": "Puntaje global",
    "global_sin_no_se": "Sin contar «No sé»",
    "global_maximo": "Con «No sé» como nivel máximo",
}
REQUIREMENT_STATES = {**schema.REQUIREMENT_LABELS, "sin_respuesta": "Sin respuesta"}
BOUNDARIES = {"sitio": "Sitio (planta)", "empresa": "Empresa"}
SOURCES = {"medido": "Medido", "estimado": "Estimado", "no_se": "No sé"}
LEVEL_NAMES = {1: "Lineal", 2: "Inicial", 3: "En transición", 4: "Avanzado", 5: "Circular"}


def sector_label(division: int) -> str:
    return f"{division} · {SECTOR_SHORT.get(int(division), CIIU_DIVISIONS.get(int(division), ''))}"


def size_label(size: str) -> str:
    return SIZE_NAMES.get(size, size)


def num(value: float | None, decimals: int = 1) -> str:
    """Spanish number, or an em dash when missing."""
    if value is None or value != value:  # NaN
        return "—"
    return format_number_es(float(value), decimals)


def count_text(value: float | None) -> str:
    """A firm count; reserved (NaN) counts read "menos de 5"."""
    return "menos de 5" if value is None or value != value else format_number_es(value, 0)


@dataclass
class Labels:
    """Names of the score columns of one questionnaire (ids shown when unknown)."""

    columns: dict[str, str] = field(default_factory=dict)
    dimension_of: dict[str, str] = field(default_factory=dict)  # column -> dimension name
    questions: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (text, route)
    indicators: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (name, unit)
    requirements: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (text, norm)
    levels: dict[int, str] = field(default_factory=lambda: dict(LEVEL_NAMES))

    def column(self, name: str) -> str:
        return self.columns.get(name, name)


def labels_for(compiled: CompiledQuestionnaire | None) -> Labels:
    labels = Labels()
    labels.columns |= BAND_NAMES
    for route in schema.ROUTES:
        labels.columns[f"ruta_{route}"] = ROUTE_SHORT[route]
    if compiled is None:
        return labels
    for index in compiled.indices:
        labels.columns[f"idx_{index.id}"] = index.nombre
    if compiled.principal_index >= 0:
        principal = compiled.indices[compiled.principal_index].nombre
        labels.columns["global"] = f"{principal} (índice principal)"
    for requirement in compiled.requirements:
        labels.requirements[requirement.id] = (requirement.texto, requirement.norma)
    names = {d.id: d.nombre for d in compiled.dimensions}
    for dimension in compiled.dimensions:
        labels.columns[f"dim_{dimension.id}"] = dimension.nombre
    for theme in compiled.themes:
        labels.columns[f"eje_{theme.id}"] = theme.name
        labels.dimension_of[f"eje_{theme.id}"] = names.get(theme.dimension, theme.dimension)
    for question in compiled.practice:
        labels.questions[question.id] = (question.texto, schema.primary_route(question.ruta))
    for info in compiled.indicators:
        labels.indicators[info.model.id] = (info.model.nombre, info.model.unidad)
    labels.levels = {level.nivel: level.nombre for level in compiled.model.niveles}
    return labels
