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
from scoring.answers import DONT_KNOW, HIDDEN, NOT_APPLICABLE, UNANSWERED, encode_answers
from scoring.compiled import CompiledQuestionnaire
from scoring.engine import POINTS_PER_LEVEL, BatchScores, score_batch
from scoring.numbers import format_number_es

RESULT_SCHEMA_VERSION = "1.0"


def _num(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


@dataclass
class Score:
    id: str
    nombre: str
    puntaje: float | None  # None: nothing applicable
    nivel: int = 0
    nivel_nombre: str = ""
    dimension: str | None = None


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
    ganancia: float  # overall points gained by reaching the next level
    potencial: float  # overall points gained by reaching level 4


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

    def to_dict(self) -> dict:
        data = asdict(self)
        data["global"] = data.pop("global_")
        data["esquema"] = RESULT_SCHEMA_VERSION
        return data

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
        return cls(
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
        )


def score_assessment(
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    sources: Mapping[str, str] | None = None,
) -> ScoreResult:
    """Score one assessment. Invalid answers are left out (the form prevents them)."""
    encoded, _ = encode_answers(compiled, answers, sources)
    batch = score_batch(compiled, encoded)
    return build_result(compiled, batch, encoded.practice[0], encoded.number_sources[0], 0)


def build_result(
    compiled: CompiledQuestionnaire,
    batch: BatchScores,
    codes: np.ndarray,
    number_sources: np.ndarray,
    row: int,
) -> ScoreResult:
    model = compiled.model

    def level_of(value: float) -> tuple[int, str]:
        if value is None or math.isnan(value):
            return 0, ""
        level = int(np.searchsorted([lv.desde for lv in model.niveles], value, side="right"))
        return level, compiled.level_name(level)

    overall = _num(batch.overall[row])
    overall_score = Score("global", "Puntaje global", overall, *level_of(batch.overall[row]))
    dimensions = [
        Score(d.id, d.nombre, _num(batch.dimensions[row, i]), *level_of(batch.dimensions[row, i]))
        for i, d in enumerate(compiled.dimensions)
    ]
    themes = [
        Score(t.id, t.name, _num(batch.themes[row, i]), dimension=t.dimension)
        for i, t in enumerate(compiled.themes)
    ]
    routes = [
        Score(r, schema.ROUTE_NAMES[r], _num(batch.routes[row, i]))
        for i, r in enumerate(schema.ROUTES)
    ]
    weakest = int(batch.weakest[row])
    questions = _question_scores(compiled, codes)
    counts = {key: int(value[row]) for key, value in batch.counts.items()}
    counts["porcentaje"] = float(batch.coverage[row])
    return ScoreResult(
        cuestionario_id=model.id,
        cuestionario_version=model.version,
        cuestionario_hash=compiled.loaded.content_hash,
        profundidad=compiled.depth,
        global_=overall_score,
        dimensiones=dimensions,
        ejes=themes,
        rutas=routes,
        dimension_mas_debil=compiled.dimensions[weakest].id if weakest >= 0 else None,
        cobertura=counts,
        desempeno=_num(batch.performance[row]),
        indicadores=_indicator_results(compiled, batch, number_sources, row),
        preguntas=questions,
        plan=action_plan(compiled, batch, codes, row),
        brechas=[q.id for q in questions if q.estado == "no_se"],
    )


_STATES = {DONT_KNOW: "no_se", UNANSWERED: "sin_respuesta", NOT_APPLICABLE: "no_aplica"}


def _question_scores(compiled: CompiledQuestionnaire, codes: np.ndarray) -> list[QuestionScore]:
    dimension_of = {t.id: t.dimension for t in compiled.themes}
    result = []
    for p, question in enumerate(compiled.practice):
        code = float(codes[p])
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
                question.ruta,
                float(question.peso),
                state,
                level,
                points,
                description,
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
            )
        )
    return results


def action_plan(
    compiled: CompiledQuestionnaire, batch: BatchScores, codes: np.ndarray, row: int
) -> list[Action]:
    """Applicable questions below level 4, ranked by the overall points the next level adds.

    Overall is linear in each question's level while applicability stays fixed, so the gain of
    one level is exactly 25 × (dimension share) × (theme share in its dimension) ×
    (question weight / applicable weight of its theme).
    """
    dim_ids = [d.id for d in compiled.dimensions]
    dim_weights = np.array([d.peso for d in compiled.dimensions])
    scored_dims = ~np.isnan(batch.dimensions[row])
    dim_total = dim_weights[scored_dims].sum()
    theme_weights = np.array([t.weight for t in compiled.themes])
    scored_themes = ~np.isnan(batch.themes[row])
    actions = []
    for p, question in enumerate(compiled.practice):
        code = float(codes[p])
        if code < UNANSWERED or code >= 4:
            continue
        theme_i = compiled.theme_index[compiled.theme_of[question.id]]
        theme = compiled.themes[theme_i]
        d = dim_ids.index(theme.dimension)
        same_dim = scored_themes & (compiled.theme_dimension == d)
        share = (
            (dim_weights[d] / dim_total)
            * (theme_weights[theme_i] / theme_weights[same_dim].sum())
            * (compiled.question_weights[p] / batch.theme_denominators[row, theme_i])
        )
        level = int(max(code, 0))
        step = question.niveles[level].recomendacion or question.niveles[level + 1].descripcion
        if code == DONT_KNOW:
            step = "Averigüe cómo está su empresa en este punto (respondió «No sé»). " + step
        actions.append(
            Action(
                question.id,
                question.texto,
                theme.dimension,
                theme.id,
                question.ruta,
                level,
                "nivel" if code >= 0 else _STATES[code],
                step,
                round(POINTS_PER_LEVEL * share, 6),
                round(POINTS_PER_LEVEL * (4 - level) * share, 6),
            )
        )
    actions.sort(key=lambda a: (-a.ganancia, -a.potencial, a.pregunta_id))
    return actions
