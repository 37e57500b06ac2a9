"""Pydantic models of a questionnaire file: the single definition of the YAML format.

Structural rules live here; rules that need the whole file (unique ids, references between
questions, order of thresholds) live in ``scoring.checks``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
)

Depth = Literal["expres", "completo"]
Route = Literal["R1", "R2", "R3"]
DEPTHS: tuple[str, ...] = ("expres", "completo")
ROUTES: tuple[str, ...] = ("R1", "R2", "R3")
ROUTE_NAMES = {
    "R1": "Diversificación productiva industrial con enfoque de economía circular",
    "R2": "Innovación y uso de tecnologías limpias y sostenibles",
    "R3": "Desarrollo territorial de infraestructura sostenible, resiliente y de calidad",
}
DEPTH_NAMES = {"expres": "Exprés", "completo": "Completo"}

Number = StrictInt | Annotated[StrictFloat, Field(allow_inf_nan=False)]
Identifier = Annotated[StrictStr, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
Text = Annotated[StrictStr, Field(min_length=1)]
Weight = Annotated[Number, Field(gt=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- skip conditions -------------------------------------------------------------------------


class Compare(Strict):
    """Show the question only when an earlier answer compares true with ``valor``."""

    pregunta: Identifier
    operador: Literal[
        "igual", "distinto", "mayor", "mayor_o_igual", "menor", "menor_o_igual", "incluye"
    ] = "igual"
    valor: StrictStr | Number


class Answered(Strict):
    """Show the question only when an earlier question has (or has not) a usable answer."""

    respondida: Identifier
    es: StrictBool = True


class AllOf(Strict):
    todas: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(Strict):
    alguna: Annotated[list[Condition], Field(min_length=1)]


def _condition_kind(value: object) -> str:
    if isinstance(value, dict):
        for key, tag in (("todas", "todas"), ("alguna", "alguna"), ("respondida", "respondida")):
            if key in value:
                return tag
        return "comparacion"
    return type(value).__name__


Condition = Annotated[
    Annotated[Compare, Tag("comparacion")]
    | Annotated[Answered, Tag("respondida")]
    | Annotated[AllOf, Tag("todas")]
    | Annotated[AnyOf, Tag("alguna")],
    Discriminator(_condition_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()


# --- questions -------------------------------------------------------------------------------


class PracticeLevel(Strict):
    descripcion: Text
    recomendacion: Text | None = None


class Option(Strict):
    valor: Identifier
    etiqueta: Text


class QuestionBase(Strict):
    id: Identifier
    texto: Text
    ayuda: StrictStr | None = None
    ruta: Route
    peso: Weight = 1
    profundidades: Annotated[list[Depth], Field(min_length=1)] = ["completo"]
    obligatoria: StrictBool = True
    permite_no_aplica: StrictBool = False
    permite_no_se: StrictBool = True
    mostrar_si: Condition | None = None


class PracticeQuestion(QuestionBase):
    tipo: Literal["practica"]
    niveles: Annotated[list[PracticeLevel], Field(min_length=5, max_length=5)]


class SingleChoiceQuestion(QuestionBase):
    tipo: Literal["opcion_unica"]
    opciones: Annotated[list[Option], Field(min_length=2)]


class MultipleChoiceQuestion(QuestionBase):
    tipo: Literal["opcion_multiple"]
    opciones: Annotated[list[Option], Field(min_length=2)]


class NumberQuestion(QuestionBase):
    tipo: Literal["numero"]
    unidad: Text
    minimo: Number
    maximo: Number
    decimales: Annotated[StrictInt, Field(ge=0, le=6)] = 2


class TextQuestion(QuestionBase):
    tipo: Literal["texto"]
    max_caracteres: Annotated[StrictInt, Field(gt=0, le=5000)] = 1000


Question = Annotated[
    PracticeQuestion
    | SingleChoiceQuestion
    | MultipleChoiceQuestion
    | NumberQuestion
    | TextQuestion,
    Field(discriminator="tipo"),
]


# --- structure -------------------------------------------------------------------------------


class Theme(Strict):
    id: Identifier
    nombre: Text
    descripcion: StrictStr | None = None
    peso: Weight = 1
    preguntas: Annotated[list[Question], Field(min_length=1)]


class Dimension(Strict):
    id: Identifier
    nombre: Text
    descripcion: StrictStr | None = None
    peso: Weight = 1
    ejes: Annotated[list[Theme], Field(min_length=1)]


class MaturityLevel(Strict):
    nivel: Annotated[StrictInt, Field(ge=1)]
    nombre: Text
    desde: Annotated[Number, Field(ge=0, lt=100)]
    descripcion: Text


class Reference(Strict):
    nombre: Text
    valor: Number
    fuente: StrictStr | None = None


class IndicatorScale(Strict):
    """Linear map of the indicator value to 0–100 points; ``cero`` may exceed ``cien``."""

    cero: Number
    cien: Number


class Indicator(Strict):
    id: Identifier
    nombre: Text
    descripcion: StrictStr | None = None
    dimension: Identifier
    ruta: Route
    formula: Text
    unidad: Text
    minimo: Number
    maximo: Number
    escala: IndicatorScale | None = None
    peso: Weight = 1
    referencias: list[Reference] = []


class Questionnaire(Strict):
    id: Identifier
    version: Annotated[StrictStr, Field(min_length=1, max_length=30)]
    titulo: Text
    descripcion: StrictStr | None = None
    niveles: Annotated[list[MaturityLevel], Field(min_length=2)]
    dimensiones: Annotated[list[Dimension], Field(min_length=1)]
    indicadores: list[Indicator] = []


QUESTION_TYPES = {
    "practica": PracticeQuestion,
    "opcion_unica": SingleChoiceQuestion,
    "opcion_multiple": MultipleChoiceQuestion,
    "numero": NumberQuestion,
    "texto": TextQuestion,
}
