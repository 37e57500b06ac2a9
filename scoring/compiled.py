"""A questionnaire flattened for one depth: ordered questions and integer weight matrices."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from scoring import schema
from scoring.checks import iter_questions
from scoring.formulas import Formula, parse_formula
from scoring.loader import LoadedQuestionnaire

WEIGHT_SCALE = 1000  # weights have at most 3 decimals, so weight * 1000 is an exact integer


@dataclass(frozen=True)
class ThemeInfo:
    id: str
    name: str
    dimension: str
    weight: float


@dataclass(frozen=True)
class IndicatorInfo:
    model: schema.Indicator
    formula: Formula


@dataclass
class CompiledQuestionnaire:
    """Everything the engine needs for one questionnaire at one depth, in document order."""

    loaded: LoadedQuestionnaire
    depth: str
    questions: list[schema.Question]
    practice: list[schema.PracticeQuestion]
    theme_of: dict[str, str]  # question id -> theme id
    themes: list[ThemeInfo]
    dimensions: list[schema.Dimension]
    indicators: list[IndicatorInfo]
    numbers: list[schema.NumberQuestion] = field(default_factory=list)

    @property
    def model(self) -> schema.Questionnaire:
        return self.loaded.model

    @cached_property
    def by_id(self) -> dict[str, schema.Question]:
        return {q.id: q for q in self.questions}

    @cached_property
    def all_ids(self) -> frozenset[str]:
        """Ids of every question of the questionnaire, at any depth."""
        return frozenset(q.id for _, q in iter_questions(self.model))

    @cached_property
    def practice_index(self) -> dict[str, int]:
        return {q.id: i for i, q in enumerate(self.practice)}

    @cached_property
    def number_index(self) -> dict[str, int]:
        return {q.id: i for i, q in enumerate(self.numbers)}

    @cached_property
    def theme_index(self) -> dict[str, int]:
        return {t.id: i for i, t in enumerate(self.themes)}

    @cached_property
    def question_weights(self) -> np.ndarray:
        """Integer weights (×1000) of the practice questions, as float64."""
        return np.array([round(q.peso * WEIGHT_SCALE) for q in self.practice], dtype=np.float64)

    @cached_property
    def weight_matrix(self) -> np.ndarray:
        """P × (T + R): each practice question's integer weight in its theme and route columns."""
        n_themes = len(self.themes)
        matrix = np.zeros((len(self.practice), n_themes + len(schema.ROUTES)), dtype=np.float64)
        for p, question in enumerate(self.practice):
            weight = self.question_weights[p]
            matrix[p, self.theme_index[self.theme_of[question.id]]] = weight
            matrix[p, n_themes + schema.ROUTES.index(question.ruta)] = weight
        return matrix

    @cached_property
    def theme_dimension(self) -> np.ndarray:
        dims = [d.id for d in self.dimensions]
        return np.array([dims.index(t.dimension) for t in self.themes], dtype=np.int64)

    @cached_property
    def conditional(self) -> list[schema.Question]:
        return [q for q in self.questions if q.mostrar_si is not None]

    def level_name(self, level: int) -> str:
        return self.model.niveles[level - 1].nombre

    def sections(self) -> list[tuple[schema.Dimension, schema.Theme, list[schema.Question]]]:
        """Themes that have questions at this depth, in order (the pages of the form)."""
        result = []
        for dimension in self.dimensions:
            for theme in dimension.ejes:
                asked = [q for q in theme.preguntas if self.depth in q.profundidades]
                if asked:
                    result.append((dimension, theme, asked))
        return result


def compile_questionnaire(loaded: LoadedQuestionnaire, depth: str) -> CompiledQuestionnaire:
    model = loaded.model
    questions, practice, numbers = [], [], []
    theme_of: dict[str, str] = {}
    used_themes: list[str] = []
    for _, question in iter_questions(model):
        if depth not in question.profundidades:
            continue
        questions.append(question)
        if isinstance(question, schema.NumberQuestion):
            numbers.append(question)
    themes: list[ThemeInfo] = []
    dimensions: list[schema.Dimension] = []
    for dimension in model.dimensiones:
        dim_used = False
        for theme in dimension.ejes:
            scored = [
                q
                for q in theme.preguntas
                if depth in q.profundidades and isinstance(q, schema.PracticeQuestion)
            ]
            for q in theme.preguntas:
                theme_of[q.id] = theme.id
            if scored:
                themes.append(ThemeInfo(theme.id, theme.nombre, dimension.id, theme.peso))
                used_themes.append(theme.id)
                practice.extend(scored)
                dim_used = True
        if dim_used:
            dimensions.append(dimension)
    number_ids = {q.id for q in numbers}
    indicators = []
    for indicator in model.indicadores:
        formula = parse_formula(indicator.formula)
        if all(name in number_ids for name in formula.names):
            indicators.append(IndicatorInfo(indicator, formula))
    return CompiledQuestionnaire(
        loaded=loaded,
        depth=depth,
        questions=questions,
        practice=practice,
        theme_of=theme_of,
        themes=themes,
        dimensions=dimensions,
        indicators=indicators,
        numbers=numbers,
    )
