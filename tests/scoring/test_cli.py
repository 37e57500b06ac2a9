"""The command line: verbs, exit codes, Spanish messages, bad rows reported and good rows scored."""

import json
from pathlib import Path

import pandas as pd
import pytest

from scoring.cli import json_schema_text, main

MINI = "tests/scoring/fixtures/mini.yaml"


def test_validar_ok(capsys):
    assert main(["validar", MINI]) == 0
    assert "✓" in capsys.readouterr().out


def test_validar_reports_problems(tmp_path, capsys):
    bad = tmp_path / "malo.yaml"
    bad.write_text(Path(MINI).read_text(encoding="utf-8").replace("peso: 3", "peso: -1"))
    assert main(["validar", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "malo.yaml:34" in err and "[pregunta e2]" in err and "Traceback" not in err


def test_validar_missing_path(capsys):
    assert main(["validar", "no-existe/"]) in (1, 2)
    assert "Traceback" not in capsys.readouterr().err


def test_puntuar_single_yaml(tmp_path, capsys):
    answers = tmp_path / "r.yaml"
    answers.write_text("respuestas:\n  e1: 2\n  e2: no_aplica\n  usa_agua: si\n  a1: 4\n")
    assert main(["puntuar", MINI, str(answers)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["global"]["puntaje"] == round((2 * 50 + 100) / 3, 9)
    assert result["cuestionario_hash"]


def test_puntuar_csv_reports_bad_rows_and_scores_good_ones(tmp_path, capsys):
    path = tmp_path / "r.csv"
    pd.DataFrame(
        {"id": ["a", "b", "c"], "e1": ["2", "9", "4"], "e2": ["1", "1", "no_aplica"]}
    ).to_csv(path, index=False)
    assert main(["puntuar", MINI, str(path)]) == 1
    captured = capsys.readouterr()
    assert "fila 2, pregunta e1" in captured.err
    scored = pd.read_csv(__import__("io").StringIO(captured.out))
    assert list(scored["id"]) == ["a", "c"]


def test_simular_then_puntuar_round_trip(tmp_path, capsys):
    out = tmp_path / "sim.csv"
    assert main(["simular", MINI, "--n", "50", "--semilla", "3", "--salida", str(out)]) == 0
    assert main(["puntuar", MINI, str(out), "--formato", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 50 and all(0 <= r["global"] <= 100 for r in rows)


def test_simular_is_reproducible(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    main(["simular", MINI, "--n", "20", "--semilla", "5", "--salida", str(a)])
    main(["simular", MINI, "--n", "20", "--semilla", "5", "--salida", str(b)])
    assert a.read_text() == b.read_text()


def test_published_json_schema_is_up_to_date():
    published = Path("cuestionarios/esquema-cuestionario.json").read_text(encoding="utf-8")
    assert published == json_schema_text(), "ejecute: python -m scoring esquema --salida …"
    module = Path("cuestionarios/modulos/esquema-modulo.json").read_text(encoding="utf-8")
    assert module == json_schema_text("modulo"), "ejecute: python -m scoring esquema --tipo modulo"


def test_every_shipped_questionnaire_validates():
    from scoring.catalog import available_questionnaires

    assert "brujula_manufactura" in available_questionnaires()


@pytest.mark.parametrize(
    "content,expected",
    [
        ("respuestas: [1, 2]\n", "no una lista"),
        ("respuestas:\n  e1: 2\n  e1: 3\n", "aparece dos veces"),
        ("a: &x [*x]\n", "no admiten anclas (&) ni alias (*)"),
    ],
)
def test_puntuar_rejects_malformed_answer_files(tmp_path, capsys, content, expected):
    path = tmp_path / "r.yaml"
    path.write_text(content, encoding="utf-8")
    assert main(["puntuar", MINI, str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


@pytest.mark.parametrize(
    "content,expected",
    [
        ("", "está vacío"),
        ("id;e1\n1;2\n", "';'"),
        ("id,e1,e1\n1,2,3\n", "columnas repetidas"),
        ("id,e1\n1,2,3\n", "tantos valores como columnas"),
    ],
)
def test_puntuar_rejects_malformed_csv(tmp_path, capsys, content, expected):
    path = tmp_path / "r.csv"
    path.write_text(content, encoding="utf-8")
    assert main(["puntuar", MINI, str(path)]) == 2
    assert expected in capsys.readouterr().err


def test_booleans_and_ambiguous_numbers_are_not_guessed(tmp_path, capsys):
    path = tmp_path / "r.yaml"
    path.write_text('respuestas:\n  e1: true\n  agua_total: "1.234"\n', encoding="utf-8")
    assert main(["puntuar", MINI, str(path)]) == 1
    err = capsys.readouterr().err
    assert "pregunta e1" in err and "pregunta agua_total" in err


def test_non_finite_weight_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "malo.yaml"
    bad.write_text(Path(MINI).read_text(encoding="utf-8").replace("peso: 3", "peso: .inf"))
    assert main(["validar", str(bad)]) == 1
    assert "número finito" in capsys.readouterr().err
