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
ROUTE_SCALE = 100  # route shares have at most 2 decimals, so share * 100 is an exact integer


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
    requirements: list[schema.RequirementQuestion] = field(default_factory=list)

    @property
    def model(self) -> schema.Questionnaire:
        return self.loaded.model

    @property
    def method(self) -> str:
        """ "2.0" when the questionnaire declares indices (level from the principal index,
        legal floor, profile-driven applicability), else "1.0" (level from the overall mean)."""
        return "2.0" if self.model.indices else "1.0"

    @cached_property
    def indices(self) -> list[schema.IndexDefinition]:
        """Declared indices that have at least one scored theme at this depth."""
        used = set(self.theme_index)
        return [i for i in self.model.indices if used & set(i.ejes)]

    @cached_property
    def principal_index(self) -> int:
        """Position in ``indices`` of the index that decides the level; -1 when none."""
        return next((k for k, i in enumerate(self.indices) if i.principal), -1)

    @cached_property
    def theme_in_index(self) -> np.ndarray:
        """Index position (into ``indices``) of every scored theme; -1 when none."""
        owner = {t: k for k, index in enumerate(self.indices) for t in index.ejes}
        return np.array([owner.get(t.id, -1) for t in self.themes], dtype=np.int64)

    @cached_property
    def theme_groups(self) -> np.ndarray:
        """(D + K) × T: each theme's weight in its dimension's row and its index's row."""
        n_dims = len(self.dimensions)
        matrix = np.zeros((n_dims + len(self.indices), len(self.themes)))
        for t, theme in enumerate(self.themes):
            matrix[self.theme_dimension[t], t] = theme.weight
            if self.theme_in_index[t] >= 0:
                matrix[n_dims + self.theme_in_index[t], t] = theme.weight
        return matrix

    @cached_property
    def requirement_index(self) -> dict[str, int]:
        return {q.id: i for i, q in enumerate(self.requirements)}

    @cached_property
    def position(self) -> dict[str, int]:
        """Document position of every question (a tie-break that never depends on ids)."""
        return {q.id: i for i, (_, q) in enumerate(iter_questions(self.model))}

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
        """P × (T + R): each practice question's integer weight in its theme column and its
        weight × route share × 100 in each of its route columns (all exact integers)."""
        n_themes = len(self.themes)
        matrix = np.zeros((len(self.practice), n_themes + len(schema.ROUTES)), dtype=np.float64)
        for p, question in enumerate(self.practice):
            weight = self.question_weights[p]
            matrix[p, self.theme_index[self.theme_of[question.id]]] = weight
            for route, share in schema.route_shares(question.ruta).items():
                column = n_themes + schema.ROUTES.index(route)
                matrix[p, column] = weight * round(share * ROUTE_SCALE)
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
        """Themes that have questions at this depth, in order (the pages of the form).

        The profile and the legal floor come first, each as its own section (the block stands
        for both the group and the theme: both have an ``id`` and a ``nombre``)."""
        result = []
        for block in (self.model.perfil, self.model.piso_legal):
            if block is not None:
                asked = [q for q in block.preguntas if self.depth in q.profundidades]
                if asked:
                    result.append((block, block, asked))
        for dimension in self.dimensions:
            for theme in dimension.ejes:
                asked = [q for q in theme.preguntas if self.depth in q.profundidades]
                if asked:
                    result.append((dimension, theme, asked))
        return result


def compile_questionnaire(loaded: LoadedQuestionnaire, depth: str) -> CompiledQuestionnaire:
    model = loaded.model
    questions, practice, numbers, requirements = [], [], [], []
    theme_of: dict[str, str] = {}
    used_themes: list[str] = []
    for _, question in iter_questions(model):
        if depth not in question.profundidades:
            continue
        questions.append(question)
        if isinstance(question, schema.NumberQuestion):
            numbers.append(question)
        elif isinstance(question, schema.RequirementQuestion):
            requirements.append(question)
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
        requirements=requirements,
    )
