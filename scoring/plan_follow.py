"""Follow-up of the action plan (pure): states, checks on what a firm types, progress, and which
actions marked «hecho» moved which scores between two results.

An action is followed by the question (or legal requirement) it is about, so its follow-up
carries over from one assessment to the next; the comparison reads the action's question, its
theme and its index (or the legal requirement) in the previous and the current result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scoring.numbers import format_date_es, format_number_es
from scoring.result import Action, ScoreResult

STATUSES = ("pendiente", "en_curso", "hecho")
STATUS_LABELS = {"pendiente": "Pendiente", "en_curso": "En curso", "hecho": "Hecho"}
OWNER_MAX = 120
EARLIEST_TARGET = dt.date(2000, 1, 1)
LATEST_YEARS = 10
SAME = 0.05  # scores are shown with one decimal
FLOOR_MET = ("si", "no_corresponde")
FLOOR_LABELS = {
    "si": "cumple",
    "no": "no cumple",
    "en_tramite": "en trámite",
    "no_corresponde": "no le corresponde",
    "sin_respuesta": "sin respuesta",
}


def clean_owner(text: str | None) -> str | None:
    """The person responsible as typed (trimmed), None when empty; ValueError in Spanish."""
    owner = " ".join((text or "").split())
    if not owner:
        return None
    if len(owner) > OWNER_MAX:
        raise ValueError(
            f"El responsable tiene {len(owner)} caracteres: escriba a lo más {OWNER_MAX} (por "
            "ejemplo, un nombre y su cargo)."
        )
    if "\x00" in owner or not any(c.isalpha() for c in owner):
        raise ValueError("Escriba el nombre o el cargo del responsable (con letras).")
    return owner


def check_target(target: dt.date | None, today: dt.date) -> dt.date | None:
    """The target date, if plausible (from 2000 to ten years ahead); ValueError in Spanish."""
    if target is None:
        return None
    latest = today.replace(year=today.year + LATEST_YEARS, day=min(today.day, 28))
    if not EARLIEST_TARGET <= target <= latest:
        raise ValueError(
            f"La fecha meta {format_date_es(target)} no es válida: elija una entre el "
            f"{format_date_es(EARLIEST_TARGET)} y el {format_date_es(latest)}."
        )
    return target


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise ValueError(f"Estado desconocido «{status}»: use pendiente, en curso o hecho.")
    return status


def done_in_earlier_plan(
    status: str, done_at: dt.datetime | None, plan_submitted_at: dt.datetime | None
) -> bool:
    """Whether an action marked «hecho» was finished before the result whose plan is shown.

    Follow-ups are kept per question, and a practice finished before a re-assessment comes back
    in the new plan one level higher: that new step is still to do, so its earlier «hecho» must
    not count for it (it is reported instead among the actions that moved scores).
    """
    return (
        status == "hecho"
        and done_at is not None
        and plan_submitted_at is not None
        and done_at <= plan_submitted_at
    )


@dataclass(frozen=True)
class Progress:
    total: int
    pendiente: int
    en_curso: int
    hecho: int

    @property
    def share_done(self) -> float:
        return self.hecho / self.total if self.total else 0.0


def progress(plan_ids: Iterable[str], statuses: Mapping[str, str]) -> Progress:
    """Counts over the plan's actions; an action never followed up is «pendiente»."""
    states = [statuses.get(qid, "pendiente") for qid in dict.fromkeys(plan_ids)]
    return Progress(
        total=len(states),
        pendiente=states.count("pendiente"),
        en_curso=states.count("en_curso"),
        hecho=states.count("hecho"),
    )


@dataclass(frozen=True)
class Change:
    """One score (or level) of the action before and after."""

    name: str
    before: float | None
    after: float | None

    @property
    def rose(self) -> bool:
        return (
            self.before is not None and self.after is not None and self.after - self.before >= SAME
        )

    @property
    def fell(self) -> bool:
        return (
            self.before is not None and self.after is not None and self.before - self.after >= SAME
        )


@dataclass(frozen=True)
class Movement:
    """What changed around one action marked «hecho» between two results."""

    question_id: str
    text: str
    kind: str  # "practica" or "piso_legal"
    level: Change | None = None  # the practice's level 0–4 (None: «No sé», N/A, unanswered)
    theme: Change | None = None
    index: Change | None = None
    floor_before: str | None = None  # requirement state
    floor_after: str | None = None

    @property
    def moved(self) -> bool:
        if self.kind == "piso_legal":
            return self.floor_before not in FLOOR_MET and self.floor_after in FLOOR_MET
        return any(c is not None and c.rose for c in (self.level, self.theme, self.index))


def _score(scores, ident: str | None):
    return next((s for s in scores if s.id == ident), None) if ident else None


def _action(result: ScoreResult, question_id: str) -> Action | None:
    return next((a for a in result.plan if a.pregunta_id == question_id), None)


def moved_scores(
    previous: ScoreResult, current: ScoreResult, done: Iterable[str]
) -> list[Movement]:
    """For each action marked «hecho» that the previous result's plan proposed: its practice's
    level, its theme and its index (or its legal requirement) in both results."""
    movements = []
    for question_id in dict.fromkeys(done):
        action = _action(previous, question_id)
        if action is None:
            continue  # not proposed by the previous plan: nothing to compare against
        if action.tipo == "piso_legal":
            before = _requirement_state(previous, question_id)
            after = _requirement_state(current, question_id)
            movements.append(
                Movement(
                    question_id, action.texto, "piso_legal", floor_before=before, floor_after=after
                )
            )
            continue
        old_q = _score(previous.preguntas, question_id)
        new_q = _score(current.preguntas, question_id)
        level = Change(
            "nivel",
            float(old_q.nivel) if old_q and old_q.nivel is not None else None,
            float(new_q.nivel) if new_q and new_q.nivel is not None else None,
        )
        theme_id = action.eje
        old_t, new_t = _score(previous.ejes, theme_id), _score(current.ejes, theme_id)
        theme = Change(old_t.nombre, old_t.puntaje, new_t.puntaje) if old_t and new_t else None
        index = None
        if action.indice:
            old_i, new_i = (
                _score(previous.indices, action.indice),
                _score(current.indices, action.indice),
            )
            if old_i and new_i:
                index = Change(old_i.nombre, old_i.puntaje, new_i.puntaje)
        elif previous.global_.puntaje is not None:
            index = Change("puntaje global", previous.global_.puntaje, current.global_.puntaje)
        movements.append(
            Movement(question_id, action.texto, "practica", level=level, theme=theme, index=index)
        )
    return movements


def _requirement_state(result: ScoreResult, requirement_id: str) -> str | None:
    if result.piso_legal is None:
        return None
    found = next((r for r in result.piso_legal.requisitos if r.id == requirement_id), None)
    return found.estado if found else None


def _num(value: float | None) -> str:
    return "—" if value is None else format_number_es(value)


def _score_change(change: Change, article: str) -> str:
    if change.rose:
        verb = "subió"
    elif change.fell:
        verb = "bajó"
    else:
        return f"{article} «{change.name}» se mantuvo en {_num(change.after)}"
    return f"{article} «{change.name}» {verb} de {_num(change.before)} a {_num(change.after)}"


def movement_sentence(movement: Movement) -> str:
    """ "«Medir el agua»: la práctica pasó del nivel 1 al 3; el eje «Agua» subió de 40,0 a
    55,0 y el «Índice de circularidad», de 60,0 a 65,6." (or why nothing moved)."""
    head = f"«{movement.text}»"
    if movement.kind == "piso_legal":
        before = FLOOR_LABELS.get(movement.floor_before or "", "sin dato")
        after = FLOOR_LABELS.get(movement.floor_after or "", "sin dato")
        if movement.moved:
            return f"{head}: el requisito legal pasó de «{before}» a «{after}»."
        return f"{head}: marcada como hecha, pero el requisito sigue «{after}» en esta evaluación."
    level = movement.level
    parts = []
    if level is not None and level.before is not None and level.after is not None:
        if level.after != level.before:
            parts.append(f"la práctica pasó del nivel {level.before:.0f} al {level.after:.0f}")
        else:
            parts.append(f"la práctica sigue en el nivel {level.after:.0f}")
    elif level is not None and level.after is None:
        parts.append("la práctica no tiene nivel en esta evaluación («No sé» o sin respuesta)")
    if movement.theme is not None:
        parts.append(_score_change(movement.theme, "el eje"))
    if movement.index is not None:
        parts.append(_score_change(movement.index, "su"))
    if not movement.moved:
        return f"{head}: marcada como hecha, pero no movió sus puntajes: " + "; ".join(parts) + "."
    return f"{head}: " + "; ".join(parts) + "."
