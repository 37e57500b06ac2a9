"""The full result of one assessment: scores, levels, coverage, indicators and action plan.

``score_assessment`` is the entry point used by the app and the reports; ``ScoreResult.to_dict``
is the machine-readable form stored with a submitted assessment and exported as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import numpy as np

from scoring import schema
from scoring.answers import DONT_KNOW, HIDDEN, NOT_APPLICABLE, UNANSWERED, Encoded, encode_answers
from scoring.compiled import CompiledQuestionnaire
from scoring.engine import POINTS_PER_LEVEL, BatchScores, maturity_levels, score_batch
from scoring.numbers import format_number_es
from scoring.plan import action_plan

RESULT_SCHEMA_VERSION = "2.0"


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


@dataclass
class Score:
    id: str
    nombre: str
    puntaje: float | None  # "No sé" counted as 0 (lower end of the band); None: nothing applies
    nivel: int = 0
    nivel_nombre: str = ""
    dimension: str | None = None
    puntaje_sin_no_se: float | None = None  # point estimate, "No sé" left out
    puntaje_maximo: float | None = None  # upper end of the band, "No sé" as the top level
    principal: bool = False  # the index that decides the level (method 2.0)

    @property
    def band_width(self) -> float:
        if self.puntaje is None or self.puntaje_maximo is None:
            return 0.0
        return self.puntaje_maximo - self.puntaje


@dataclass
class Requirement:
    """One legal-floor item and how the firm answered it."""

    id: str
    texto: str
    norma: str
    evidencia: str
    estado: str  # "si", "no", "en_tramite", "no_corresponde" or "sin_respuesta"
    recomendacion: str

    @property
    def met(self) -> bool:
        return self.estado in ("si", "no_corresponde")


@dataclass
class LegalFloor:
    cumple: bool
    tope: int  # the level an unmet floor caps the result at
    tope_nombre: str
    nivel_sin_tope: int  # the level the principal index alone would give
    requisitos: list[Requirement] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return not self.cumple and self.nivel_sin_tope > self.tope

    @property
    def gaps(self) -> list[Requirement]:
        return [r for r in self.requisitos if not r.met]


@dataclass
class QuestionScore:
    id: str
    texto: str
    dimension: str
    eje: str
    ruta: str
    peso: float
    estado: str  # "nivel", "no_se", "no_aplica", "sin_respuesta", "oculta"
    nivel: int | None
    puntaje: float | None
    descripcion_nivel: str | None
    motivo_no_aplica: str | None = None  # the firm's reason, or "perfil" when the profile says
    rutas: dict[str, float] = field(default_factory=dict)


@dataclass
class IndicatorResult:
    id: str
    nombre: str
    dimension: str
    ruta: str
    unidad: str
    valor: float | None
    valido: bool
    motivo: str | None  # why there is no valid value
    puntaje: float | None
    fuente: str | None  # "medido", "estimado" or "no_se" (the weakest of its inputs)
    referencias: list[dict] = field(default_factory=list)
    frontera: str = "sitio"  # "sitio" or "empresa" (ISO 59020 boundary)
    periodo: str = "últimos 12 meses"
    comparar_en_sector: bool = False  # scored against the CIIU division, not a fixed scale
    mejor: str = "mayor"
    nucleo: bool = False  # part of the core set the performance score needs


@dataclass
class Action:
    pregunta_id: str
    texto: str
    dimension: str
    eje: str
    ruta: str
    nivel_actual: int
    estado: str
    siguiente_paso: str
    ganancia: float  # points of its index gained by reaching the next level
    potencial: float  # points of its index gained by reaching level 4
    tipo: str = "practica"  # "piso_legal" or "practica"
    indice: str | None = None  # the index whose points ``ganancia`` counts (method 2.0)
    motivo: str = ""  # why this action is proposed, in plain Spanish
    requiere: list[str] = field(default_factory=list)  # unmet prerequisites (question ids)


@dataclass
class ModuleSummary:
    """A sector module the assessment was answered with: its themes and indicators are in the
    result's ``ejes`` and ``indicadores`` like the core's."""

    id: str
    nombre: str
    version: str
    ejes: list[str] = field(default_factory=list)
    indicadores: list[str] = field(default_factory=list)
    ciiu: list[int] = field(default_factory=list)
    descripcion: str | None = None


@dataclass
class ScoreResult:
    cuestionario_id: str
    cuestionario_version: str
    cuestionario_hash: str
    profundidad: str
    global_: Score
    dimensiones: list[Score]
    ejes: list[Score]
    rutas: list[Score]
    dimension_mas_debil: str | None
    cobertura: dict[str, float]
    desempeno: float | None
    indicadores: list[IndicatorResult]
    preguntas: list[QuestionScore]
    plan: list[Action]
    brechas: list[str]  # ids of questions answered "No sé"
    metodo: str = "1.0"
    indices: list[Score] = field(default_factory=list)
    piso_legal: LegalFloor | None = None
    provisional: bool = False  # "No sé" weighs more than the questionnaire's threshold
    umbral_provisional: float = 100.0
    modulos: list[ModuleSummary] = field(default_factory=list)  # sector modules merged in
    esquema: str = RESULT_SCHEMA_VERSION

    def to_dict(self) -> dict:
        data = asdict(self)
        data["global"] = data.pop("global_")
        data["esquema"] = RESULT_SCHEMA_VERSION
        return data

    @property
    def principal(self) -> Score:
        """The score that decides the level: the principal index, or the overall score."""
        return self.global_

    def dimension(self, ident: str) -> Score:
        return next(d for d in self.dimensiones if d.id == ident)

    @property
    def dimensions_tied(self) -> bool:
        """Two or more scored dimensions, all with the same score: none is the weakest."""
        scores = [d.puntaje for d in self.dimensiones if d.puntaje is not None]
        return len(scores) >= 2 and max(scores) - min(scores) < 1e-9

    @classmethod
    def from_dict(cls, data: Mapping) -> ScoreResult:
        """Rebuild a result stored with ``to_dict`` (for example at submission)."""
        floor = data.get("piso_legal")
        return cls(
            metodo=data.get("metodo", "1.0"),
            indices=[Score(**s) for s in data.get("indices") or []],
            piso_legal=(
                None
                if floor is None
                else LegalFloor(
                    **{k: v for k, v in floor.items() if k != "requisitos"},
                    requisitos=[Requirement(**r) for r in floor.get("requisitos") or []],
                )
            ),
            provisional=bool(data.get("provisional", False)),
            umbral_provisional=float(data.get("umbral_provisional", 100.0)),
            esquema=data.get("esquema", "1.0"),
            cuestionario_id=data["cuestionario_id"],
            cuestionario_version=data["cuestionario_version"],
            cuestionario_hash=data["cuestionario_hash"],
            profundidad=data["profundidad"],
            global_=Score(**data["global"]),
            dimensiones=[Score(**s) for s in data["dimensiones"]],
            ejes=[Score(**s) for s in data["ejes"]],
            rutas=[Score(**s) for s in data["rutas"]],
            dimension_mas_debil=data.get("dimension_mas_debil"),
            cobertura=dict(data.get("cobertura") or {}),
            desempeno=data.get("desempeno"),
            indicadores=[IndicatorResult(**i) for i in data.get("indicadores") or []],
            preguntas=[QuestionScore(**q) for q in data.get("preguntas") or []],
            plan=[Action(**a) for a in data.get("plan") or []],
            brechas=list(data.get("brechas") or []),
            modulos=[ModuleSummary(**m) for m in data.get("modulos") or []],
        )

    def module_of_theme(self, theme_id: str) -> ModuleSummary | None:
        return next((m for m in self.modulos if theme_id in m.ejes), None)

    def module_of_indicator(self, indicator_id: str) -> ModuleSummary | None:
        return next((m for m in self.modulos if indicator_id in m.indicadores), None)

    def comparison_group(self, indicator_id: str) -> ModuleSummary | None:
        """Whom a ``comparar_en_sector`` indicator is compared with, when not the CIIU division:
        a firm that answered sector modules is compared with the firms of the same modules and
        version (its module's indicators and its intensities alike); None: its division."""
        own = self.module_of_indicator(indicator_id)
        if len(self.modulos) <= 1:
            return own or (self.modulos[0] if self.modulos else None)
        # Two modules: peers are the firms with exactly this pair (same content hash).
        return ModuleSummary(
            "+".join(m.id for m in self.modulos),
            " y ".join(m.nombre for m in self.modulos),
            "+".join(m.version for m in self.modulos),
        )


def score_assessment(
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    sources: Mapping[str, str] | None = None,
) -> ScoreResult:
    """Score one assessment. Invalid answers are left out (the form prevents them).

    ``answers`` may carry ``<id>__motivo`` entries: the reason for a "No aplica" that the
    profile does not explain."""
    encoded, _ = encode_answers(compiled, answers, sources)
    batch = score_batch(compiled, encoded)
    return build_result(compiled, batch, encoded, 0)


def _levels(compiled: CompiledQuestionnaire, values: np.ndarray) -> list[tuple[int, str]]:
    levels = maturity_levels(compiled.model, np.asarray(values, dtype=float))
    return [(int(v), compiled.level_name(int(v)) if v > 0 else "") for v in levels]


def _scores(compiled, batch: BatchScores, row: int, kind: str, items) -> list[Score]:
    """Scores of one kind ("themes", "routes", "dimensions", "indices") with their band."""
    low = getattr(batch.low, kind)[row]
    point = getattr(batch.point, kind)[row]
    high = getattr(batch.high, kind)[row]
    levelled = kind in ("dimensions", "indices")
    levels = _levels(compiled, low) if levelled else [(0, "")] * len(items)
    result = []
    for i, (ident, name, dimension) in enumerate(items):
        result.append(
            Score(
                ident,
                name,
                _num(low[i]),
                *levels[i],
                dimension=dimension,
                puntaje_sin_no_se=_num(point[i]),
                puntaje_maximo=_num(high[i]),
                principal=kind == "indices" and i == compiled.principal_index,
            )
        )
    return result


def build_result(
    compiled: CompiledQuestionnaire, batch: BatchScores, encoded: Encoded, row: int
) -> ScoreResult:
    model = compiled.model
    codes = encoded.practice[row]
    level = int(batch.level[row])
    principal_name = (
        compiled.indices[compiled.principal_index].nombre
        if compiled.principal_index >= 0
        else "Puntaje global"
    )
    overall = Score(
        "global",
        principal_name,
        _num(batch.low.overall[row]),
        level,
        compiled.level_name(level) if level > 0 else "",
        puntaje_sin_no_se=_num(batch.point.overall[row]),
        puntaje_maximo=_num(batch.high.overall[row]),
        principal=True,
    )
    dimensions = _scores(
        compiled, batch, row, "dimensions", [(d.id, d.nombre, None) for d in compiled.dimensions]
    )
    themes = _scores(
        compiled, batch, row, "themes", [(t.id, t.name, t.dimension) for t in compiled.themes]
    )
    routes = _scores(
        compiled, batch, row, "routes", [(r, schema.ROUTE_NAMES[r], None) for r in schema.ROUTES]
    )
    indices = _scores(
        compiled, batch, row, "indices", [(i.id, i.nombre, None) for i in compiled.indices]
    )
    weakest = int(batch.weakest[row])
    questions = _question_scores(compiled, encoded, row)
    counts = {key: int(value[row]) for key, value in batch.counts.items()}
    counts["porcentaje"] = float(batch.coverage[row])
    floor = _legal_floor(compiled, batch, encoded, row)
    return ScoreResult(
        cuestionario_id=model.id,
        cuestionario_version=model.version,
        cuestionario_hash=compiled.loaded.content_hash,
        profundidad=compiled.depth,
        global_=overall,
        dimensiones=dimensions,
        ejes=themes,
        rutas=routes,
        dimension_mas_debil=compiled.dimensions[weakest].id if weakest >= 0 else None,
        cobertura=counts,
        desempeno=_num(batch.performance[row]),
        indicadores=_indicator_results(compiled, batch, encoded.number_sources[row], row),
        preguntas=questions,
        plan=action_plan(compiled, batch, codes, row, floor),
        brechas=[q.id for q in questions if q.estado == "no_se"],
        metodo=compiled.method,
        indices=indices,
        piso_legal=floor,
        provisional=bool(batch.provisional[row]),
        umbral_provisional=float(model.umbral_provisional),
        modulos=[
            ModuleSummary(
                m.id,
                m.nombre,
                m.version,
                list(m.ejes),
                list(m.indicadores),
                list(m.ciiu),
                m.descripcion,
            )
            for m in model.modulos
        ],
    )


def _legal_floor(compiled, batch: BatchScores, encoded: Encoded, row: int) -> LegalFloor | None:
    floor = compiled.model.piso_legal
    if floor is None:
        return None
    requirements = []
    for r, question in enumerate(compiled.requirements):
        answer = encoded.requirements[row, r] if encoded.requirements is not None else None
        requirements.append(
            Requirement(
                question.id,
                question.texto,
                question.norma,
                question.evidencia,
                answer if answer in schema.REQUIREMENT_ANSWERS else "sin_respuesta",
                question.recomendacion,
            )
        )
    return LegalFloor(
        cumple=bool(batch.floor_met[row]),
        tope=floor.tope,
        tope_nombre=compiled.level_name(floor.tope),
        nivel_sin_tope=int(batch.level_uncapped[row]),
        requisitos=requirements,
    )


_STATES = {DONT_KNOW: "no_se", UNANSWERED: "sin_respuesta", NOT_APPLICABLE: "no_aplica"}


def _question_scores(compiled: CompiledQuestionnaire, encoded: Encoded, row: int):
    dimension_of = {t.id: t.dimension for t in compiled.themes}
    codes = encoded.practice[row]
    result = []
    for p, question in enumerate(compiled.practice):
        code = float(codes[p])
        reason = None
        if code == NOT_APPLICABLE:
            by_profile = encoded.profile_na.get(question.id)
            reasons = encoded.reasons.get(question.id)
            if by_profile is not None and by_profile[row]:
                reason = "perfil"
            elif reasons is not None:
                reason = reasons[row]
        theme = compiled.theme_of[question.id]
        if code >= 0:
            state, level = "nivel", int(code)
            points = level * POINTS_PER_LEVEL
            description = question.niveles[level].descripcion
        else:
            state = "oculta" if code == HIDDEN else _STATES[code]
            level = None
            points = 0.0 if code in (DONT_KNOW, UNANSWERED) else None
            description = None
        result.append(
            QuestionScore(
                question.id,
                question.texto,
                dimension_of[theme],
                theme,
                schema.primary_route(question.ruta),
                float(question.peso),
                state,
                level,
                points,
                description,
                reason,
                schema.route_shares(question.ruta),
            )
        )
    return result


def _indicator_results(compiled, batch: BatchScores, number_sources, row: int):
    results = []
    sources_by_id = {q.id: number_sources[m] for m, q in enumerate(compiled.numbers)}
    for i, info in enumerate(compiled.indicators):
        indicator = info.model
        value = batch.indicator_values[row, i]
        valid = bool(batch.indicator_valid[row, i])
        if valid:
            reason = None
        elif math.isnan(value):
            reason = "Faltan datos o el denominador es cero."
        else:
            reason = (
                f"El resultado ({format_number_es(value, 1)} {indicator.unidad}) está fuera del "
                f"rango válido ({format_number_es(indicator.minimo, 0)} a "
                f"{format_number_es(indicator.maximo, 0)}); revise los datos."
            )
        given = [sources_by_id.get(name) for name in info.formula.names]
        if "no_se" in given:
            source = "no_se"
        elif "estimado" in given or None in given:
            source = "estimado" if "estimado" in given else None
        else:
            source = "medido"
        results.append(
            IndicatorResult(
                indicator.id,
                indicator.nombre,
                indicator.dimension,
                indicator.ruta,
                indicator.unidad,
                _num(value) if valid else None,
                valid,
                reason,
                _num(batch.indicator_scores[row, i]),
                source,
                [r.model_dump() for r in indicator.referencias],
                indicator.frontera,
                indicator.periodo,
                indicator.comparar_en_sector,
                indicator.mejor,
                indicator.id in compiled.model.indicadores_nucleo,
            )
        )
    return results
