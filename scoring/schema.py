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
Fraction = Annotated[Number, Field(gt=0, le=1)]
Percent = Annotated[Number, Field(ge=0, le=100)]
# "ruta: R1", or shares of several routes that add up to 1: "ruta: {R1: 0.5, R2: 0.5}".
RouteSpec = Route | Annotated[dict[Route, Fraction], Field(min_length=1)]


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
    tags = {"AllOf": "todas", "AnyOf": "alguna", "Answered": "respondida", "Compare": "comparacion"}
    if type(value).__name__ in tags:  # a validated model, when serialising
        return tags[type(value).__name__]
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
    ruta: RouteSpec | None = None  # required for practice questions (scoring.checks)
    peso: Weight = 1
    profundidades: Annotated[list[Depth], Field(min_length=1)] = ["completo"]
    obligatoria: StrictBool = True
    permite_no_aplica: StrictBool = False
    permite_no_se: StrictBool = True
    mostrar_si: Condition | None = None
    # "No aplica" decided by the firm's profile: when the condition holds the question is not
    # applicable without asking; elsewhere "No aplica" needs a one-line reason.
    no_aplica_si: Condition | None = None
    # Profile answers the app fills from the firm's registration ("tamano_empresa": micro,
    # pequena, mediana, grande under Ley 30056); the form shows them read-only.
    dato_registro: Literal["tamano_empresa"] | None = None


class Prerequisite(Strict):
    """An action on this question waits until ``pregunta`` reaches ``nivel``."""

    pregunta: Identifier
    nivel: Annotated[StrictInt, Field(ge=1, le=4)]


class PracticeQuestion(QuestionBase):
    tipo: Literal["practica"]
    niveles: Annotated[list[PracticeLevel], Field(min_length=5, max_length=5)]
    requiere: list[Prerequisite] = []


REQUIREMENT_ANSWERS = ("si", "no", "en_tramite", "no_corresponde")
REQUIREMENT_LABELS = {
    "si": "Sí, cumple",
    "no": "No",
    "en_tramite": "En trámite",
    "no_corresponde": "No corresponde",
}
# How a scored legal-floor item reads in results and reports.
REQUIREMENT_STATES = {
    "si": "Cumple",
    "no": "No cumple",
    "en_tramite": "En trámite",
    "no_corresponde": "No corresponde",
    "sin_respuesta": "Sin respuesta",
}


class RequirementQuestion(QuestionBase):
    """A legal-minimum item of the legal floor: sí / no / en trámite / no corresponde."""

    tipo: Literal["requisito"]
    norma: Text  # the norm that requires it
    evidencia: Text  # what the firm would show
    recomendacion: Text  # the step that closes the gap (heads the action plan)
    # "No corresponde" is offered only where this condition on the profile holds.
    no_corresponde_si: Condition | None = None


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
    | RequirementQuestion
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
    # "comparable": a benchmark for the firm's value; "contexto": national or sector context
    # shown beside it, never as a like-for-like comparison.
    uso: Literal["comparable", "contexto"] = "comparable"
    verificacion: Literal["verificada", "por_confirmar"] = "por_confirmar"


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
    # ISO 59020: what the figure covers and over which period.
    frontera: Literal["sitio", "empresa"] = "sitio"
    periodo: Text = "últimos 12 meses"
    # Scored against firms of the same CIIU division (k >= 5) instead of a fixed scale;
    # ``mejor`` says which direction is better.
    comparar_en_sector: StrictBool = False
    mejor: Literal["mayor", "menor"] = "mayor"


class Profile(Strict):
    """Questions about the firm that decide what applies (maquila, B2B, tenancy…)."""

    id: Identifier = "perfil"
    nombre: Text = "Perfil de la empresa"
    descripcion: StrictStr | None = None
    preguntas: Annotated[
        list[
            Annotated[
                SingleChoiceQuestion | MultipleChoiceQuestion | NumberQuestion,
                Field(discriminator="tipo"),
            ]
        ],
        Field(min_length=1),
    ]


class LegalFloor(Strict):
    """Legal minimums: any unmet item caps the level at ``tope`` and heads the action plan."""

    id: Identifier = "piso_legal"
    nombre: Text = "Piso legal"
    descripcion: StrictStr | None = None
    tope: Annotated[StrictInt, Field(ge=1)]  # a ``nivel`` number of ``niveles``
    preguntas: Annotated[list[RequirementQuestion], Field(min_length=1)]


class IndexDefinition(Strict):
    """A score over a set of themes; the ``principal`` index decides the level."""

    id: Identifier
    nombre: Text
    descripcion: StrictStr | None = None
    principal: StrictBool = False
    ejes: Annotated[list[Identifier], Field(min_length=1)]


class Questionnaire(Strict):
    id: Identifier
    version: Annotated[StrictStr, Field(min_length=1, max_length=30)]
    titulo: Text
    descripcion: StrictStr | None = None
    niveles: Annotated[list[MaturityLevel], Field(min_length=2)]
    perfil: Profile | None = None
    piso_legal: LegalFloor | None = None
    dimensiones: Annotated[list[Dimension], Field(min_length=1)]
    indicadores: list[Indicator] = []
    indices: list[IndexDefinition] = []
    # The level is "provisional" when "No sé" answers make the band of the level's score wider
    # than this many points (the share of its weight answered "No sé", in %).
    umbral_provisional: Percent = 100
    # A dimension is named the weakest only when it trails the next one by this many points.
    margen_dimension_debil: Annotated[Number, Field(ge=0, le=100)] = 0
    # Indicators that must all be valid for the performance score; it averages their points.
    indicadores_nucleo: list[Identifier] = []
    # Sector modules merged into this version (filled by scoring.modules, never written by hand).
    modulos: list[ModuleInfo] = []


def route_shares(spec: RouteSpec | None) -> dict[str, float]:
    """A question's routes with their shares: ``R1`` -> {"R1": 1.0}."""
    if spec is None:
        return {}
    if isinstance(spec, str):
        return {spec: 1.0}
    return {route: float(share) for route, share in spec.items()}


def primary_route(spec: RouteSpec | None) -> str:
    """The route with the largest share (the first in ROUTES on a tie); "" without routes."""
    shares = route_shares(spec)
    if not shares:
        return ""
    return max(ROUTES, key=lambda r: (shares.get(r, 0.0), -ROUTES.index(r)))


QUESTION_TYPES = {
    "practica": PracticeQuestion,
    "requisito": RequirementQuestion,
    "opcion_unica": SingleChoiceQuestion,
    "opcion_multiple": MultipleChoiceQuestion,
    "numero": NumberQuestion,
    "texto": TextQuestion,
}


# --- sector modules (cuestionarios/modulos/) -------------------------------------------------

Ciiu = Annotated[StrictInt, Field(ge=10, le=3399)]  # a division (10–33) or a class (1020)
Materiality = Annotated[Number, Field(ge=0.5, le=3)]


class Extends(Strict):
    """The questionnaire version a module was written for (its ids, themes and levels)."""

    cuestionario: Identifier
    version: Annotated[StrictStr, Field(min_length=1, max_length=30)]


class ModuleTheme(Theme):
    """A module theme: placed in a dimension of the questionnaire it extends and feeding one of
    its indices (the principal index, the circularity one, unless ``indice`` says otherwise)."""

    dimension: Identifier
    indice: Identifier | None = None


class ModuleFile(Strict):
    """A sector module file: themes, questions and indicators for some CIIU divisions or classes,
    and materiality factors that multiply the weights of the extended questionnaire's themes."""

    id: Identifier
    version: Annotated[StrictStr, Field(min_length=1, max_length=30)]
    nombre: Text
    descripcion: StrictStr | None = None
    extiende: Extends
    ciiu: Annotated[list[Ciiu], Field(min_length=1)]
    materialidad: dict[Identifier, Materiality] = {}
    ejes: Annotated[list[ModuleTheme], Field(min_length=1)]
    indicadores: list[Indicator] = []


class ModuleInfo(Strict):
    """What a scored questionnaire records about each module merged into it."""

    id: Identifier
    version: Annotated[StrictStr, Field(min_length=1, max_length=30)]
    nombre: Text
    descripcion: StrictStr | None = None
    ciiu: list[Ciiu]
    ejes: list[Identifier]
    indicadores: list[Identifier] = []
    materialidad: dict[Identifier, Materiality] = {}


Questionnaire.model_rebuild()
