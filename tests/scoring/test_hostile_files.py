"""Hostile files and arguments (issue 12): refused quickly, in Spanish, never a traceback."""

import importlib.util
import sys
from pathlib import Path

import pytest

from scoring.cli import main, translate_argparse
from scoring.errors import QuestionnaireError
from scoring.loader import load_questionnaire
from scoring.yaml_source import InputRefused, read_yaml

ROOT = Path(__file__).resolve().parents[2]
MINI = "tests/scoring/fixtures/mini.yaml"


def _hostile():
    spec = importlib.util.spec_from_file_location(
        "hostile_inputs", ROOT / "benchmarks/hostile_inputs.py"
    )
    if "hostile_inputs" in sys.modules:
        return sys.modules["hostile_inputs"]
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile_inputs"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_fast_hostile_cases_are_all_handled_cleanly(tmp_path):
    hostile = _hostile()
    selected = [c for c in hostile.cases(tmp_path) if c.name in hostile.FAST]
    assert len(selected) >= 15
    outcomes = hostile.run_all(selected, tmp_path, workers=2, timed=False)
    failed = [f"{o.case.name}: {o.why}\n{o.stderr[-400:]}" for o in outcomes if not o.clean]
    assert not failed, "\n".join(failed)


def test_billion_laughs_is_refused_by_size_before_expansion():
    text = _hostile().BILLION_LAUGHS
    with pytest.raises(InputRefused, match="200 000 elementos"):
        read_yaml(text, "lol.yaml")
    with pytest.raises(InputRefused, match="no admiten anclas"):
        read_yaml(text, "lol.yaml", aliases=False)


def test_questionnaires_keep_their_aliases():
    assert load_questionnaire("tests/scoring/fixtures/metodo2.yaml").id


def test_deep_nesting_is_refused():
    with pytest.raises(InputRefused, match="50 niveles"):
        read_yaml("a: " + "[" * 10_000 + "]" * 10_000, "hondo.yaml")


def test_refusals_are_questionnaire_errors_for_library_callers(tmp_path):
    with pytest.raises(QuestionnaireError):
        load_questionnaire(tmp_path)


@pytest.mark.parametrize(
    "argv,expected",
    [
        ([], "faltan argumentos obligatorios"),
        (["borrar"], "no es una opción válida"),
        (["validar", MINI, "--x"], "argumentos no reconocidos"),
        (["simular", MINI, "--n", "0"], "entre 1 y 100 000"),
        (["simular", MINI, "--n", "2", "--semilla", "-3"], "--semilla debe ser"),
        (["simular", MINI, "--n"], "falta su valor"),
        (["puntuar", MINI, "r.yaml", "--formato", "xml"], "no es una opción válida"),
    ],
)
def test_argument_errors_are_spanish(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert expected in err and err.startswith("uso: ")
    assert "usage" not in err and "error:" not in err


def test_help_is_spanish(capsys):
    assert main(["simular", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: ") and "opciones" in out and "muestra esta ayuda" in out


def test_unknown_argparse_text_never_passes_through():
    assert translate_argparse("something new in Python 3.14") == "argumentos no válidos"
    assert "número entero" in translate_argparse("argument --n: invalid int value: 'x'")


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("r.yaml", "respuestas:\n  e1: a: b\n", "dos puntos"),
        ("r.yaml", b"# a\xf1o\n", "no está en UTF-8"),
        ("r.csv", "id,e1\n1,\x002\n", "bytes nulos"),
        ("r.csv", "id" + ",x" * 10_001 + "\n", "el máximo es 10 000"),
        ("r.csv", "id,e1\n1," + "9" * 1_000_001 + "\n", "1 000 000 caracteres"),
        ("r.yaml", "respuestas:\n  e1: !!python/name:os.system x\n", "no se puede leer"),
    ],
)
def test_bad_answer_files_are_spanish(tmp_path, capsys, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    assert main(["puntuar", MINI, str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_directory_and_missing_files(tmp_path, capsys):
    assert main(["puntuar", MINI, str(tmp_path)]) == 2
    assert "Es una carpeta" in capsys.readouterr().err
    assert main(["validar", str(tmp_path / "no.yaml")]) == 2
    assert "no existe" in capsys.readouterr().err
    assert main(["simular", MINI, "--n", "2", "--salida", str(tmp_path / "a" / "b.csv")]) == 2
    assert "no existe la carpeta" in capsys.readouterr().err


def test_child_memory_is_measured_apart_from_a_large_parent(tmp_path):
    """A test run can be large when it reaches these cases; the child's peak must not include
    the parent's memory copied at fork (Linux carries it into ru_maxrss across exec)."""
    hostile = _hostile()
    case = next(c for c in hostile.cases(tmp_path) if c.name == "/dev/zero como cuestionario")
    ballast = bytearray(700 * 1024 * 1024)
    ballast[::4096] = b"\x01" * len(range(0, len(ballast), 4096))  # make it resident
    outcome = hostile.run_case(case, tmp_path, timed=False)
    del ballast
    assert outcome.clean, outcome.why
    assert outcome.peak_mb < hostile.LIMIT_MB
