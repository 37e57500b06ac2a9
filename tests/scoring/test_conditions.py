"""The per-assessment skip-condition evaluator agrees with the column-wise one."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import compile_questionnaire
from scoring.answers import encode_answers, encode_frame
from scoring.catalog import default_questionnaire
from scoring.conditions import hidden_questions
from scoring.loader import load_questionnaire
from scoring.simulate import simulate
from tests.scoring import builders as b

MINI = Path(__file__).parent / "fixtures" / "mini.yaml"


def vectorised_hidden(compiled, answers) -> set[str]:
    encoded, _ = encode_answers(compiled, answers)
    return {qid for qid, mask in encoded.hidden.items() if bool(mask[0])}


def frame_rows_agree(compiled, frame) -> None:
    """Every row of ``frame``: the plain evaluator hides what the batch encoding hides."""
    encoded, _, _ = encode_frame(compiled, frame, strict_rows=False)
    for i, record in enumerate(frame.to_dict("records")):
        expected = {qid for qid, mask in encoded.hidden.items() if bool(mask[i])}
        answers = {k: v for k, v in record.items() if k != "id"}
        assert hidden_questions(compiled, answers) == expected, record


@pytest.mark.parametrize(
    ("source", "depth"),
    [("base", "completo"), ("mini", "expres"), ("mini", "completo")],  # those with conditions
)
def test_simulated_assessments_hide_the_same_questions(source, depth):
    loaded = default_questionnaire() if source == "base" else load_questionnaire(MINI)
    compiled = compile_questionnaire(loaded, depth)
    assert compiled.conditional  # the comparison means something
    frame = simulate(compiled, 300, seed=5)
    # Blank out and "No sé" some controlling answers so both branches of each condition occur.
    controls = {q.mostrar_si.pregunta for q in compiled.conditional}
    for n, qid in enumerate(sorted(controls)):
        frame.loc[frame.index % 7 == n % 7, qid] = None
        frame.loc[frame.index % 11 == n % 11, qid] = "no_se"
    frame_rows_agree(compiled, frame)


# --- every kind of condition, on adversarial answers --------------------------------------------


def _choice(qid: str, kind: str, options: list[str], **extra) -> dict:
    question = {
        "id": qid,
        "tipo": kind,
        "texto": f"Pregunta {qid}",
        "ruta": "R1",
        "profundidades": ["expres", "completo"],
        "opciones": [{"valor": v, "etiqueta": v.upper()} for v in options],
    }
    question.update(extra)
    return question


def _number(qid: str, **extra) -> dict:
    question = {
        "id": qid,
        "tipo": "numero",
        "texto": f"Pregunta {qid}",
        "ruta": "R1",
        "profundidades": ["expres", "completo"],
        "unidad": "t",
        "minimo": 0,
        "maximo": 100,
    }
    question.update(extra)
    return question


def _text(qid: str) -> dict:
    return {
        "id": qid,
        "tipo": "texto",
        "texto": f"Pregunta {qid}",
        "ruta": "R1",
        "profundidades": ["expres", "completo"],
    }


def _when(pregunta: str, operador: str, valor: object) -> dict:
    return {"pregunta": pregunta, "operador": operador, "valor": valor}


BASE = [
    b.practice("p1", permite_no_aplica=True),
    _number("n1"),
    _choice("s1", "opcion_unica", ["si", "no"], permite_no_aplica=True),
    _choice("m1", "opcion_multiple", ["a", "b", "c"]),
    _text("t1"),
    _choice("s2", "opcion_unica", ["uno", "dos"], permite_no_se=False),
]
CONDITIONAL = [
    b.practice("c_mayor", mostrar_si=_when("p1", "mayor", 2)),
    b.practice("c_igual_nivel", mostrar_si=_when("p1", "igual", 0)),
    _number("c_menor_o_igual", mostrar_si=_when("n1", "menor_o_igual", 50.5)),
    b.practice("c_distinto_num", mostrar_si=_when("n1", "distinto", 10)),
    _choice("c_incluye", "opcion_unica", ["uno", "dos"], mostrar_si=_when("m1", "incluye", "b")),
    b.practice("c_distinto", mostrar_si=_when("s1", "distinto", "si")),
    b.practice("c_en_cadena", mostrar_si=_when("c_incluye", "igual", "uno")),
    b.practice("c_texto", mostrar_si={"respondida": "t1"}),
    b.practice("c_sin_respuesta", mostrar_si={"respondida": "s2", "es": False}),
    # float32 levels round 2.99999999 to 3, as the practice matrix does.
    b.practice(
        "c_todas",
        mostrar_si={"todas": [_when("p1", "menor_o_igual", 2.99999999), {"respondida": "c_mayor"}]},
    ),
    b.practice(
        "c_alguna",
        mostrar_si={
            "alguna": [
                _when("m1", "igual", "a"),
                _when("n1", "mayor_o_igual", 99),
                {"respondida": "c_en_cadena", "es": False},
            ]
        },
    ),
]
CONDITIONED = b.compiled(
    b.questionnaire(
        [b.dimension("economica", [b.theme("base", BASE), b.theme("condicionadas", CONDITIONAL)])]
    )
)

_SPECIAL = st.sampled_from([None, "", "  ", "no_se", "no_aplica", "NO_SE", "otro"])
_LEVEL = st.one_of(
    st.integers(-1, 6),
    st.sampled_from(["0", " 3 ", "4", "5", 2.0, 2.5, True, [1], {"valor": 1}]),
)
_NUMBER = st.one_of(
    st.integers(-10, 200),
    st.floats(min_value=-1, max_value=120),
    st.sampled_from([50.5, 10.0, 99, 100.0, float("inf"), float("nan"), "50,5", "1.234,5"]),
    st.sampled_from(["10", " 99 ", "abc", "1e1", "1,500", {"valor": 10}, True, ["5"]]),
    st.floats(min_value=0, max_value=100).map(repr),
)
_OPTION = st.sampled_from(["si", "no", "uno", "dos", " si ", "a", "b"])
_MULTI = st.one_of(
    st.lists(st.sampled_from(["a", "b", "c", "z", ""]), max_size=4),
    st.sampled_from(["a|b", "b", "c|a", "a|z", "|b|", []]),
)
_TEXT = st.sampled_from(["Algo", "  ", "x" * 3])


def _answers():
    kinds = {
        "p1": _LEVEL,
        "n1": _NUMBER,
        "s1": _OPTION,
        "m1": _MULTI,
        "t1": _TEXT,
        "s2": _OPTION,
        "c_mayor": _LEVEL,
        "c_incluye": _OPTION,
        "c_en_cadena": _LEVEL,
    }
    fields = {qid: st.one_of(_SPECIAL, strategy) | st.just(None) for qid, strategy in kinds.items()}
    return st.fixed_dictionaries({}, optional=fields)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_answers())
def test_every_condition_kind_matches_the_vectorised_path(answers):
    assert hidden_questions(CONDITIONED, answers) == vectorised_hidden(CONDITIONED, answers)


def test_examples_read_as_the_guide_says():
    assert hidden_questions(CONDITIONED, {"p1": 3, "s1": "si"}) >= {"c_igual_nivel", "c_distinto"}
    assert "c_mayor" not in hidden_questions(CONDITIONED, {"p1": 3})
    # "No sé" is not a usable answer, so even "distinto" is not met.
    assert "c_distinto" in hidden_questions(CONDITIONED, {"s1": "no_se"})
    assert "c_distinto" not in hidden_questions(CONDITIONED, {"s1": "no"})
    # A hidden question counts as unanswered for the conditions after it.
    hidden = hidden_questions(CONDITIONED, {"m1": ["a"], "c_incluye": "uno"})
    assert {"c_incluye", "c_en_cadena"} <= hidden
    assert "c_incluye" not in hidden_questions(CONDITIONED, {"m1": ["b", "c"]})
