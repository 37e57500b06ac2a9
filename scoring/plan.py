"""The action plan of one assessment: legal-floor gaps first, then the firm's own largest gains.

Order (the method page and ``cuestionarios/README.md`` describe exactly this):

1. Legal-floor items not met: «No» or unanswered before «En trámite», then a fixed draw
   computed from the firm's answers (``tie_draw``): every requirement caps the level alike, so
   neither the file order nor the id decides which one heads the plan.
2. Practice questions below level 4 that apply to the firm, ranked by the points their index
   would gain if the question reached level 4: 25 × levels to go × the question's share of its
   index (theme weight / weights of the index's scored themes × question weight / applicable
   weight of its theme), times the sector materiality factor (1 until sector modules exist).
   Points of the principal index (the one that decides the level) come first: actions of the
   other indices (enablers, social practice) follow, ranked by the points of their own index.
   An action whose prerequisite (``requiere``) is not met waits behind every action that can
   start now. Ties: a step others wait for, then more levels to go, then the firm's weaker
   theme (lower score), then the heavier theme, then a fixed draw computed from the firm's own
   answers (``tie_draw``: the same answers always give the same plan, and no question wins
   every tie), never the id.
3. The first five hold at most two actions of the same theme; the ones set aside follow.
"""

from __future__ import annotations

import numpy as np

from scoring import schema
from scoring.answers import DONT_KNOW, NOT_APPLICABLE, UNANSWERED
from scoring.compiled import CompiledQuestionnaire
from scoring.engine import POINTS_PER_LEVEL
from scoring.numbers import format_number_es

TOP = 5
MAX_PER_THEME = 2
MATERIALITY = 1.0  # sector materiality factor; sector modules will set it per theme
_STATES = {DONT_KNOW: "no_se", UNANSWERED: "sin_respuesta", NOT_APPLICABLE: "no_aplica"}


def action_plan(compiled: CompiledQuestionnaire, batch, codes: np.ndarray, row: int, floor=None):
    """Every proposed action of one assessment, in the order above."""
    from scoring.result import Action

    actions: list[Action] = []
    if floor is not None:
        states = {r.id: r.estado for r in floor.gaps}
        order, count = floor_order(
            compiled,
            codes[None, :],
            np.array(
                [
                    [
                        "no" if states.get(q.id) == "sin_respuesta" else states.get(q.id, "si")
                        for q in compiled.requirements
                    ]
                ],
                dtype=object,
            ),
        )
        gaps = {r.id: r for r in floor.gaps}
        for r in order[0, : count[0]]:
            requirement = gaps[compiled.requirements[r].id]
            actions.append(
                Action(
                    requirement.id,
                    requirement.texto,
                    "",
                    compiled.model.piso_legal.id,
                    "",
                    0,
                    requirement.estado,
                    requirement.recomendacion,
                    0.0,
                    0.0,
                    tipo="piso_legal",
                    motivo=(
                        f"Es una obligación legal ({requirement.norma.rstrip('.')}). Mientras no "
                        f"se cumpla, su nivel no pasa de «{floor.tope_nombre}», sea cual sea su "
                        "puntaje."
                    ),
                )
            )
    ranking = practice_ranking(compiled, batch, codes[None, :], rows=[row])
    return actions + _practice_actions(compiled, ranking, codes)


class Ranking:
    """Vectorised plan for N assessments: the order of the practice actions of each one."""

    def __init__(self, order, count, gains, potentials, waiting, owners):
        self.order = order  # N × P practice positions, plan order first; see ``count``
        self.count = count  # N: how many of ``order`` are actions (the rest are not)
        self.gains = gains  # N × P points of its index gained by the next level
        self.potentials = potentials  # N × P points gained by reaching level 4
        self.waiting = waiting  # list (per practice question) of N × bool per prerequisite
        self.owners = owners  # per practice question: its index definition or None


def _shares(compiled: CompiledQuestionnaire, batch, rows) -> np.ndarray:
    """N × P: each practice question's share of its index (method 2.0) or of the overall."""
    theme_weights = np.array([t.weight for t in compiled.themes])
    themes = batch.themes[rows]
    scored = ~np.isnan(themes)
    if compiled.indices:
        group, n_groups = compiled.theme_in_index, len(compiled.indices)
    else:  # method 1.0: dimension share × theme share within the dimension
        group, n_groups = compiled.theme_dimension, len(compiled.dimensions)
    onehot = np.zeros((len(compiled.themes), max(n_groups, 1)))
    for t, g in enumerate(group):
        if g >= 0:
            onehot[t, g] = 1.0
    group_sums = (scored * theme_weights) @ onehot  # N × G
    safe_group = np.where(group >= 0, group, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        theme_share = np.where(
            scored & (group >= 0), theme_weights / group_sums[:, safe_group], 0.0
        )
    if not compiled.indices:
        dim_weights = np.array([d.peso for d in compiled.dimensions])
        scored_dims = ~np.isnan(batch.dimensions[rows])
        dim_total = (scored_dims * dim_weights).sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            theme_share = theme_share * (dim_weights[safe_group] / dim_total)
    theme_of = np.array([compiled.theme_index[compiled.theme_of[q.id]] for q in compiled.practice])
    denominators = batch.theme_denominators[rows][:, theme_of]
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = theme_share[:, theme_of] * compiled.question_weights / denominators
    return np.nan_to_num(shares, nan=0.0, posinf=0.0)


def practice_ranking(compiled: CompiledQuestionnaire, batch, codes: np.ndarray, rows) -> Ranking:
    """Plan order of the practice actions of the assessments ``rows`` (codes: len(rows) × P)."""
    n, n_practice = codes.shape
    shares = _shares(compiled, batch, rows)
    levels = np.maximum(codes, 0).astype(np.float64)
    eligible = (codes >= UNANSWERED) & (codes < 4)
    gains = POINTS_PER_LEVEL * shares * MATERIALITY
    potentials = gains * (4 - levels)
    column = compiled.practice_index
    waiting_any = np.zeros((n, n_practice), dtype=bool)
    waiting: list[list[tuple[str, np.ndarray]]] = []
    for p, question in enumerate(compiled.practice):
        needs = []
        for need in question.requiere:
            if need.pregunta not in column:
                continue
            before = codes[:, column[need.pregunta]]
            unmet = (before >= UNANSWERED) & (before < need.nivel)
            needs.append((need.pregunta, unmet))
            waiting_any[:, p] |= unmet
        waiting.append(needs)
    theme_of = [compiled.theme_index[compiled.theme_of[q.id]] for q in compiled.practice]
    owners = [
        compiled.indices[compiled.theme_in_index[t]]
        if compiled.indices and compiled.theme_in_index[t] >= 0
        else None
        for t in theme_of
    ]
    principal = np.array([0 if o is not None and o.principal else 1 for o in owners])
    theme_weight = np.array([compiled.themes[t].weight for t in theme_of])
    position = np.array([compiled.position[q.id] for q in compiled.practice])
    shape = (n, n_practice)
    in_principal = principal == 0
    theme_scores = np.nan_to_num(batch.themes[rows][:, theme_of], nan=0.0)
    unlocks = np.array(
        [
            sum(need.pregunta == q.id for o in compiled.practice for need in o.requiere)
            for q in compiled.practice
        ]
    )
    # The keys of the order, packed into five (np.lexsort: the last key sorts first).
    # Potentials are at most 100, so +1000 puts every action of the principal index first.
    first = (~eligible).astype(np.int64) * 2 + waiting_any
    points = -np.round(np.where(in_principal, potentials + 1000.0, potentials), 9)
    steps = (4 - levels).astype(np.int64) * 1024 + np.minimum(unlocks, 1023)  # both descending
    weight_rank = np.unique(-theme_weight, return_inverse=True)[1].astype(np.int64)
    draw = tie_draw(codes, position) >> 9  # 53 bits -> 44, order kept
    tail = (weight_rank << 58) | (draw << 14) | np.minimum(position, (1 << 14) - 1)
    keys = (tail, np.round(theme_scores, 9), -steps, points, first)
    order = np.lexsort(keys, axis=1) if n_practice else np.zeros(shape, dtype=np.int64)
    # At most MAX_PER_THEME actions of one theme among the first TOP.
    themes = np.array(theme_of, dtype=np.int64)
    per_theme = np.zeros((n, max(len(compiled.themes), 1)), dtype=np.int64)
    picked = np.zeros(n, dtype=np.int64)
    top = np.zeros(shape, dtype=bool)
    all_rows = np.arange(n)
    goal = np.minimum(eligible.sum(axis=1), TOP)
    for j in range(n_practice):
        if (picked >= goal).all():
            break  # every plan has its first TOP (or all its actions)
        p = order[:, j]
        theme = themes[p]
        ok = eligible[all_rows, p] & (per_theme[all_rows, theme] < MAX_PER_THEME) & (picked < TOP)
        top[:, j] = ok
        per_theme[all_rows[ok], theme[ok]] += 1
        picked += ok
    rearranged = np.argsort(~top, axis=1, kind="stable")
    order = np.take_along_axis(order, rearranged, axis=1)
    return Ranking(order, eligible.sum(axis=1), gains, potentials, waiting, owners)


def floor_order(compiled: CompiledQuestionnaire, codes: np.ndarray, answers: np.ndarray):
    """Plan order of the legal-floor gaps of N assessments (practice codes N × P, requirement
    answers N × R): «No» or unanswered before «En trámite», then ``tie_draw``."""
    unmet = ~np.isin(answers, ("si", "no_corresponde"))
    urgency = np.where(answers == "en_tramite", 1, 0)
    practice = np.array([compiled.position[q.id] for q in compiled.practice], dtype=np.int64)
    floor = np.array([compiled.position[q.id] for q in compiled.requirements], dtype=np.int64)
    draw = tie_draw(codes, practice, floor)
    return np.lexsort((draw, urgency, ~unmet), axis=1), unmet.sum(axis=1)


def tie_draw(codes: np.ndarray, position: np.ndarray, targets: np.ndarray | None = None):
    """A fixed pseudo-random number per (assessment, target question) computed from the
    assessment's own answers (``codes`` of the questions at ``position``; the targets are those
    same questions unless given): the same answers always give the same plan, two firms that
    tie differently get different orders, and no question wins every remaining tie (as the
    first in the file, or the first by id, would)."""
    mix = np.uint64(0x9E3779B97F4A7C15)
    salts = (position.astype(np.uint64) + np.uint64(1)) * mix
    target_salts = salts if targets is None else (targets.astype(np.uint64) + np.uint64(1)) * mix
    answers = (codes.astype(np.int64) + 5).astype(np.uint64)  # every code is >= -4
    with np.errstate(over="ignore"):
        seed = (answers * salts[None, :]).sum(axis=1, dtype=np.uint64)
        value = seed[:, None] ^ target_salts[None, :]
        value = (value ^ (value >> np.uint64(31))) * np.uint64(0xBF58476D1CE4E5B9)
        value = value ^ (value >> np.uint64(29))
    return (value >> np.uint64(11)).astype(np.int64)


def _practice_actions(compiled: CompiledQuestionnaire, ranking: Ranking, codes: np.ndarray):
    from scoring.result import Action

    required_by: dict[str, list[str]] = {}
    for question in compiled.practice:
        for need in question.requiere:
            required_by.setdefault(need.pregunta, []).append(question.texto)
    actions = []
    for p in ranking.order[0, : ranking.count[0]]:
        question = compiled.practice[p]
        code = float(codes[p])
        theme = compiled.themes[compiled.theme_index[compiled.theme_of[question.id]]]
        level = int(max(code, 0))
        index = ranking.owners[p]
        potential = float(ranking.potentials[0, p])
        waiting = [qid for qid, unmet in ranking.waiting[p] if unmet[0]]
        step = question.niveles[level].recomendacion or question.niveles[level + 1].descripcion
        if code == DONT_KNOW:
            step = "Averigüe cómo está su empresa en este punto (respondió «No sé»). " + step
        reason = _reason(compiled, level, code, potential, index, waiting)
        if question.id in required_by:
            reason += " Es un paso previo de: " + "; ".join(required_by[question.id]) + "."
        actions.append(
            Action(
                question.id,
                question.texto,
                theme.dimension,
                theme.id,
                schema.primary_route(question.ruta),
                level,
                "nivel" if code >= 0 else _STATES[code],
                step,
                round(float(ranking.gains[0, p]), 6),
                round(potential, 6),
                indice=index.id if index is not None else None,
                motivo=reason,
                requiere=waiting,
            )
        )
    return actions


def _reason(compiled, level: int, code: float, potential: float, index, waiting) -> str:
    target = f"su «{index.nombre}»" if index is not None else "su puntaje global"
    if code == DONT_KNOW:
        where = "Respondió «No sé»: cuenta como nivel 0 hasta que lo averigüe"
    elif code == UNANSWERED:
        where = "No respondió esta pregunta: cuenta como nivel 0"
    else:
        where = f"Está en el nivel {level} de 4"
    text = f"{where}; llegar al nivel 4 sumaría {format_number_es(potential, 1)} puntos a {target}."
    if waiting:
        names = [compiled.by_id[q].texto for q in waiting if q in compiled.by_id]
        text += (
            " Antes conviene avanzar en: " + "; ".join(names) + " (primero medir, luego mejorar)."
        )
    return text


def plan_columns(
    compiled: CompiledQuestionnaire, batch, encoded, top: int = TOP
) -> list[list[str]]:
    """The first ``top`` plan ids of every assessment (legal-floor gaps, then practice)."""
    n = len(encoded)
    ranking = practice_ranking(compiled, batch, encoded.practice, rows=np.arange(n))
    floor = None
    if compiled.requirements and encoded.requirements is not None:
        floor = floor_order(compiled, encoded.practice, encoded.requirements)
    columns = []
    for i in range(n):
        ids: list[str] = []
        if floor is not None:
            order, count = floor
            ids += [compiled.requirements[r].id for r in order[i, : count[i]]]
        ids += [compiled.practice[p].id for p in ranking.order[i, : ranking.count[i]][:top]]
        columns.append((ids + [""] * top)[:top])
    return columns
