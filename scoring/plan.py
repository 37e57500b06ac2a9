"""The action plan of one assessment: legal-floor gaps first, then the firm's own largest gains.

Order (the method page and ``cuestionarios/README.md`` describe exactly this):

1. Legal-floor items not met: «No» or unanswered before «En trámite», then a fixed draw
   computed from the firm's answers (``tie_draw``): every requirement caps the level alike, so
   neither the file order nor the id decides which one heads the plan.
2. Practice questions below level 4 that apply to the firm, ranked by the points their index
   would gain if the question reached level 4: 25 × levels to go × the question's share of its
   index (theme weight / weights of the index's scored themes × question weight / applicable
   weight of its theme). The sector materiality factor is in the theme weights: a sector module
   multiplies the weights of the themes that matter more in its sector (scoring.modules), so
   the gain stays in points of the index the firm is scored on and is never applied twice.
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

import collections

import numpy as np

from scoring import schema
from scoring.answers import DONT_KNOW, NOT_APPLICABLE, UNANSWERED
from scoring.compiled import CompiledQuestionnaire
from scoring.engine import POINTS_PER_LEVEL
from scoring.numbers import format_number_es

TOP = 5
MAX_PER_THEME = 2
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


def _group_sums(compiled: CompiledQuestionnaire, batch, rows) -> np.ndarray:
    """N × G: the weight of the scored themes of each index (method 2.0) or dimension."""
    theme_weights = np.array([t.weight for t in compiled.themes])
    scored = ~np.isnan(batch.themes[rows])
    group, n_groups = _groups(compiled)
    onehot = np.zeros((len(compiled.themes), max(n_groups, 1)))
    for t, g in enumerate(group):
        if g >= 0:
            onehot[t, g] = 1.0
    return (scored * theme_weights) @ onehot


def _groups(compiled: CompiledQuestionnaire):
    if compiled.indices:
        return compiled.theme_in_index, len(compiled.indices)
    # method 1.0: dimension share × theme share within the dimension
    return compiled.theme_dimension, len(compiled.dimensions)


def _shares(compiled: CompiledQuestionnaire, batch, rows, group_sums=None) -> np.ndarray:
    """N × P: each practice question's share of its index (method 2.0) or of the overall.
    ``group_sums``: ``_group_sums`` of the same rows, when already computed."""
    theme_weights = np.array([t.weight for t in compiled.themes])
    scored = ~np.isnan(batch.themes[rows])
    group, _ = _groups(compiled)
    if group_sums is None:
        group_sums = _group_sums(compiled, batch, rows)
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
        shares = theme_share[:, theme_of] * compiled.question_weights
        shares /= denominators
    return np.nan_to_num(shares, copy=False, nan=0.0, posinf=0.0)


def practice_ranking(compiled: CompiledQuestionnaire, batch, codes: np.ndarray, rows) -> Ranking:
    """Plan order of the practice actions of the assessments ``rows`` (codes: len(rows) × P)."""
    ranked = _ranked(compiled, batch, codes, rows)
    order = ranked["order"]
    top, used = _top_picks(order, ranked["eligible"], ranked["themes"], len(compiled.themes))
    # Marked actions first, the rest in order; nothing beyond the first ``used`` is marked.
    head = np.argsort(~top, axis=1, kind="stable")
    order[:, :used] = np.take_along_axis(order[:, :used], head, axis=1)
    return Ranking(
        order,
        ranked["eligible"].sum(axis=1),
        ranked["gains"],
        ranked["potentials"],
        ranked["waiting"],
        ranked["owners"],
    )


def _questions(compiled: CompiledQuestionnaire) -> dict:
    """What the order needs of each practice question (the same for every assessment)."""
    theme_of = [compiled.theme_index[compiled.theme_of[q.id]] for q in compiled.practice]
    owners = [
        compiled.indices[compiled.theme_in_index[t]]
        if compiled.indices and compiled.theme_in_index[t] >= 0
        else None
        for t in theme_of
    ]
    theme_weight = np.array([compiled.themes[t].weight for t in theme_of])
    unlocks = collections.Counter(need.pregunta for q in compiled.practice for need in q.requiere)
    return {
        "themes": np.array(theme_of, dtype=np.int64),
        "owners": owners,
        "in_principal": np.array([o is not None and o.principal for o in owners], dtype=bool),
        "position": np.array([compiled.position[q.id] for q in compiled.practice], dtype=np.int64),
        "unlocks": np.array([unlocks[q.id] for q in compiled.practice], dtype=np.int64),
        "weight_rank": np.unique(-theme_weight, return_inverse=True)[1].astype(np.int64),
    }


def _ranked(
    compiled: CompiledQuestionnaire, batch, codes: np.ndarray, rows, questions=None, sums=None
) -> dict:
    """The order of the practice actions by the keys of the method, before the per-theme rule
    of the first five, with what the plan shows of each action. ``questions`` and ``sums``:
    ``_questions(compiled)`` and ``_group_sums`` of the same rows, when already computed."""
    n, n_practice = codes.shape
    questions = questions or _questions(compiled)
    shares = _shares(compiled, batch, rows, sums)
    levels = np.maximum(codes, 0).astype(np.float64)
    eligible = (codes >= UNANSWERED) & (codes < 4)
    gains = POINTS_PER_LEVEL * shares  # materiality is in the theme weights (see above)
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
    theme_scores = np.nan_to_num(batch.themes[rows], nan=0.0)  # N × T
    # The keys of the order, most significant first (the method's rules; see the docstring).
    # Potentials are at most 100, so +1000 puts every action of the principal index first.
    first = (~eligible).astype(np.int64) * 2 + waiting_any
    boosted = np.where(questions["in_principal"], potentials + 1000.0, potentials)
    unlocks = np.minimum(questions["unlocks"], 1023)
    steps = (4 - levels).astype(np.int64) * 1024 + unlocks  # both descending
    draw = tie_draw(codes, questions["position"]) >> 9  # 53 bits -> 44, order kept
    keys = (
        first,
        boosted,
        steps,
        theme_scores,
        questions["themes"],
        questions["weight_rank"],
        draw,
        questions["position"],
    )
    order = _packed_order(*keys) if n and n_practice else None
    if order is None:
        order = _lexsort_order(*keys)
    return {
        "order": order,
        "eligible": eligible,
        "gains": gains,
        "potentials": potentials,
        "waiting": waiting,
        "owners": questions["owners"],
        "themes": questions["themes"],
    }


def _lexsort_order(first, boosted, steps, theme_scores, themes, weight_rank, draw, position):
    """The order by the five keys, with ``np.lexsort`` (the last key sorts first)."""
    if not first.shape[1]:
        return np.zeros(first.shape, dtype=np.int64)
    tail = (weight_rank << 58) | (draw << 14) | np.minimum(position, (1 << 14) - 1)
    points = -np.round(boosted, 9)
    keys = (tail, np.round(theme_scores[:, themes], 9), -steps, points, first)
    return np.lexsort(keys, axis=1)


def _packed_order(first, boosted, steps, theme_scores, themes, weight_rank, draw, position):
    """The same order as ``_lexsort_order``, several times faster: three passes of ``np.sort``
    over keys packed into one int64 each, least significant first, every pass carrying the
    place from the previous one in its lowest bits (so ties keep the previous order, as in
    ``np.lexsort``). Rounded scores compare as integers: ``np.round(x, 9)`` is
    ``rint(x * 1e9) / 1e9``, so ``rint(x * 1e9)`` has the same order and the same ties.

    None when a key does not fit its bits (a questionnaire far larger than any real one).
    The key arrays are fresh and are overwritten."""
    n, m = first.shape
    bits = max(int(m - 1).bit_length(), 1)
    places = np.arange(m, dtype=np.int64)
    starts = (np.arange(n, dtype=np.int64) * m)[:, None]  # flat index of each row's start
    # Pass 1, the tail: theme weight rank, the draw (44 bits), then the position in the file.
    clipped = np.minimum(position, (1 << 14) - 1)
    by_position = np.lexsort((places, clipped))  # ties in the clipped position: file order
    rank_in_file = np.empty(m, dtype=np.int64)
    rank_in_file[by_position] = places
    if weight_rank.max(initial=0) >= 32 or 5 + 44 + bits > 63:
        return None  # ``weight_rank << 58`` would not fit an int64 (nor here)
    key = draw
    key <<= bits
    key |= (weight_rank << (44 + bits)) | rank_in_file
    key.sort(axis=1)
    key &= (1 << bits) - 1
    order = by_position[key]
    # Pass 2: more levels to go and unlocks (descending), then the theme's rounded score.
    scores = np.rint(theme_scores * 1e9)
    if not np.isfinite(scores).all() or scores.min(initial=0) < 0 or scores.max(initial=0) > 2**52:
        return None
    scores = scores.astype(np.int64)
    score_bits = int(scores.max(initial=0)).bit_length()
    step_top = int(steps.max())
    step_bits = int(step_top - int(steps.min())).bit_length()
    if step_bits + score_bits + bits > 63:
        return None
    key = np.subtract(step_top, steps, out=steps)
    key <<= score_bits + bits
    scores <<= bits
    key |= scores[:, themes]
    order = _next_pass(key, order, places, starts, bits)
    # Pass 3: eligible and not waiting first, then the rounded points (descending).
    boosted *= 1e9
    points = np.rint(boosted, out=boosted)
    if not np.isfinite(points).all() or points.min() < 0 or points.max() > 2**52:
        return None
    point_top = points.max()
    point_bits = int(point_top - points.min()).bit_length()
    if 2 + point_bits + bits > 63 or first.max() > 3:
        return None
    key = np.subtract(point_top, points, out=points).astype(np.int64)
    key <<= bits
    first <<= point_bits + bits
    key |= first
    return _next_pass(key, order, places, starts, bits)


def _next_pass(key, order, places, starts, bits: int) -> np.ndarray:
    """Sort each row by ``key`` (its low ``bits`` free), ties in the current ``order``."""
    flat = order + starts
    key = key.ravel()[flat]
    key |= places
    key.sort(axis=1)
    key &= (1 << bits) - 1
    key += starts
    return order.ravel()[key]


def _top_picks(order: np.ndarray, eligible: np.ndarray, themes: np.ndarray, n_themes: int):
    """At most MAX_PER_THEME actions of one theme among the first TOP: which places of ``order``
    are picked (N × used bools) and how many leading places were looked at (``used``)."""
    n, n_practice = order.shape
    per_theme = np.zeros((n, max(n_themes, 1)), dtype=np.int64)
    picked = np.zeros(n, dtype=np.int64)
    goal = np.minimum(eligible.sum(axis=1), TOP)
    columns = []
    active = np.flatnonzero(picked < goal)  # plans still short of their first TOP
    for j in range(n_practice):
        if not active.size:
            break
        p = order[active, j]
        theme = themes[p]
        ok = eligible[active, p] & (per_theme[active, theme] < MAX_PER_THEME)
        column = np.zeros(n, dtype=bool)
        column[active[ok]] = True
        columns.append(column)
        per_theme[active[ok], theme[ok]] += 1
        picked[active[ok]] += 1
        active = active[picked[active] < goal[active]]
    if not columns:
        return np.zeros((n, 0), dtype=bool), 0
    return np.stack(columns, axis=1), len(columns)


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
    answers = codes.astype(np.int64)
    answers += 5  # every code is >= -4, so the int64 bits are the uint64 value
    with np.errstate(over="ignore"):
        # Sum of answer × salt modulo 2**64 (any order gives the same), one row at a time.
        seed = answers.view(np.uint64) @ salts
        value = seed[:, None] ^ target_salts[None, :]
        value ^= value >> np.uint64(31)
        value *= np.uint64(0xBF58476D1CE4E5B9)
        value ^= value >> np.uint64(29)
        value >>= np.uint64(11)
    return value.view(np.int64)  # below 2**53: the same number as an int64


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
    return plan_table(compiled, batch, encoded, top).tolist()


def plan_table(compiled: CompiledQuestionnaire, batch, encoded, top: int = TOP) -> np.ndarray:
    """``plan_columns`` as an N × ``top`` array of ids ("" where a plan is shorter)."""
    slots = np.arange(top)
    n, n_practice = encoded.practice.shape
    practice_ids = np.array([q.id for q in compiled.practice] + [""], dtype=object)
    first = np.empty((n, top), dtype=np.int64)
    questions = _questions(compiled)
    sums = _group_sums(compiled, batch, slice(None))
    # Practice: only the first ``top`` of each plan (the order of ``practice_ranking``), a block
    # of assessments at a time (every plan is its own; a block's arrays stay in the cache).
    for block in _row_blocks(n):
        ranked = _ranked(compiled, batch, encoded.practice[block], block, questions, sums[block])
        order, eligible = ranked["order"], ranked["eligible"]
        picks, used = _top_picks(order, eligible, ranked["themes"], len(compiled.themes))
        head = max(used, min(top, n_practice))
        front = np.take_along_axis(
            order[:, :head], np.argsort(~_widen(picks, head), axis=1, kind="stable"), axis=1
        )
        count = np.minimum(eligible.sum(axis=1), top)
        front = _widen(front, top, fill=n_practice)
        front[slots[None, :] >= count[:, None]] = n_practice
        first[block] = front
    plans = practice_ids[first]
    if compiled.requirements and encoded.requirements is not None:
        floor, gaps = floor_order(compiled, encoded.practice, encoded.requirements)
        floor_ids = np.array([q.id for q in compiled.requirements], dtype=object)
        gaps = np.minimum(gaps, top)
        # Each plan: its legal-floor gaps, then its practice actions, cut at ``top``.
        shifted = np.clip(slots[None, :] - gaps[:, None], 0, top - 1)
        plans = np.take_along_axis(plans, shifted, axis=1)
        plans = np.where(slots[None, :] < gaps[:, None], floor_ids[_widen(floor, top)], plans)
    return plans


ROWS_PER_BLOCK = 4096  # assessments ranked together by ``plan_table``


def _row_blocks(n: int) -> list[slice]:
    return [slice(start, min(start + ROWS_PER_BLOCK, n)) for start in range(0, n, ROWS_PER_BLOCK)]


def _widen(matrix: np.ndarray, width: int, fill=0) -> np.ndarray:
    """The first ``width`` columns of ``matrix``, padded with ``fill`` when it has fewer."""
    if matrix.shape[1] >= width:
        return matrix[:, :width].copy()
    padded = np.full((matrix.shape[0], width), fill, dtype=matrix.dtype)
    padded[:, : matrix.shape[1]] = matrix
    return padded
