"""Command line: ``python -m scoring validar | puntuar | simular`` (Spanish verbs and messages)."""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.answers import encode_frame, records_to_frame
from scoring.compiled import compile_questionnaire
from scoring.engine import batch_frame, score_batch
from scoring.errors import QuestionnaireError
from scoring.loader import load_questionnaire
from scoring.plan import TOP, plan_columns
from scoring.result import build_result
from scoring.schema import DEPTHS
from scoring.simulate import simulate
from scoring.yaml_source import read_yaml


class CliError(Exception):
    """A user mistake reported as one Spanish line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except QuestionnaireError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except RecursionError:
        print(
            "Error: el archivo tiene referencias (&ancla / *alias) que se contienen a sí "
            "mismas; quítelas.",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback for a user
        print(
            f"Error inesperado ({type(exc).__name__}: {exc}). Revise los archivos de entrada; "
            "si el problema sigue, repórtelo con este mensaje.",
            file=sys.stderr,
        )
        return 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scoring",
        description="Brújula Circular: valida cuestionarios y puntúa evaluaciones.",
    )
    parser._positionals.title = "argumentos"
    parser._optionals.title = "opciones"
    verbs = parser.add_subparsers(title="acciones", metavar="ACCIÓN", required=True)

    check = verbs.add_parser("validar", help="valida uno o más cuestionarios YAML")
    check.add_argument("rutas", nargs="+", metavar="RUTA", help="archivo .yaml o carpeta")
    check.set_defaults(run=_validate)

    score = verbs.add_parser("puntuar", help="puntúa respuestas (YAML/JSON: una; CSV: muchas)")
    score.add_argument("cuestionario", metavar="CUESTIONARIO")
    score.add_argument("respuestas", metavar="RESPUESTAS")
    score.add_argument("--formato", choices=["json", "csv"], default=None)
    score.add_argument("--profundidad", choices=DEPTHS, default=None)
    score.set_defaults(run=_score)

    sim = verbs.add_parser("simular", help="escribe N evaluaciones aleatorias válidas en CSV")
    sim.add_argument("cuestionario", metavar="CUESTIONARIO")
    sim.add_argument("--n", type=int, required=True, help="cuántas evaluaciones")
    sim.add_argument("--semilla", type=int, default=None, help="semilla para repetir el azar")
    sim.add_argument("--profundidad", choices=DEPTHS, default="completo")
    sim.add_argument("--salida", default="-", help="archivo CSV (por defecto, la pantalla)")
    sim.set_defaults(run=_simulate)
    schema_verb = verbs.add_parser("esquema", help="escribe el esquema JSON del formato")
    schema_verb.add_argument("--salida", default="-", help="archivo (por defecto, la pantalla)")
    schema_verb.set_defaults(run=_schema)
    return parser


def json_schema_text() -> str:
    """The JSON Schema of the questionnaire format, for editors."""
    from scoring.schema import Questionnaire

    document = Questionnaire.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "Cuestionario de Brújula Circular"
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _schema(args) -> int:
    text = json_schema_text()
    if args.salida == "-":
        sys.stdout.write(text)
    else:
        Path(args.salida).write_text(text, encoding="utf-8")
        print(f"Esquema escrito en {args.salida}.", file=sys.stderr)
    return 0


def _validate(args) -> int:
    files: list[Path] = []
    for given in args.rutas:
        path = Path(given)
        if path.is_dir():
            files.extend(sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")))
        else:
            files.append(path)
    if not files:
        raise CliError("no se encontró ningún archivo .yaml en las rutas indicadas.")
    failed = 0
    for path in files:
        try:
            loaded = load_questionnaire(path)
        except QuestionnaireError as exc:
            failed += 1
            print(f"✗ {path}: {exc}", file=sys.stderr)
            continue
        count = sum(len(t.preguntas) for d in loaded.model.dimensiones for t in d.ejes)
        print(
            f"✓ {path}: cuestionario '{loaded.id}' versión {loaded.version}, "
            f"{count} preguntas, {len(loaded.model.indicadores)} indicadores, "
            f"huella {loaded.short_hash}."
        )
    return 1 if failed else 0


def _score(args) -> int:
    loaded = load_questionnaire(args.cuestionario)
    path = Path(args.respuestas)
    if not path.exists():
        raise CliError(f"no existe el archivo de respuestas {path}.")
    if path.suffix.lower() == ".csv":
        return _score_table(loaded, path, args)
    return _score_single(loaded, path, args)


def _read_single(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{path} no está en UTF-8.") from None
    source = read_yaml(text, str(path))
    blocking = [p for p in source.problems if p.code in ("E_YAML", "E_CLAVE_DUPLICADA")]
    if blocking:
        raise CliError("\n".join(str(p) for p in blocking))
    data = source.data
    if not isinstance(data, dict):
        raise CliError(f"{path} debe contener un bloque 'respuestas: {{pregunta: valor}}'.")
    for key in ("respuestas", "fuentes"):
        if key in data and not isinstance(data[key], dict | type(None)):
            raise CliError(
                f"{path}: '{key}' debe ser un bloque 'pregunta: valor', uno por línea "
                "(no una lista)."
            )
    return data


def _score_single(loaded, path: Path, args) -> int:
    data = _read_single(path)
    answers = data.get("respuestas", data) or {}
    sources = data.get("fuentes") or {}
    depth = args.profundidad or data.get("profundidad", "completo")
    if depth not in DEPTHS:
        raise CliError(f"profundidad '{depth}' desconocida; use expres o completo.")
    compiled = compile_questionnaire(loaded, depth)
    answers = {k: v for k, v in answers.items() if k not in ("profundidad", "fuentes")}
    frame = records_to_frame([(str(data.get("id", path.stem)), answers, sources)])
    encoded, problems, _ = encode_frame(compiled, frame, strict_rows=False)
    for problem in problems:
        print(f"Aviso: pregunta {problem.question_id}: {problem.message}", file=sys.stderr)
    if problems:
        print("Las respuestas con problemas se tratan como sin respuesta.", file=sys.stderr)
        encoded, _, _ = encode_frame(compiled, _drop_bad(frame, problems), strict_rows=False)
    batch = score_batch(compiled, encoded)
    if (args.formato or "json") == "csv":
        _with_plan(batch_frame(compiled, batch), compiled, batch, encoded).to_csv(
            sys.stdout, index=False
        )
    else:
        result = build_result(compiled, batch, encoded, 0)
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    return 1 if problems else 0


def _drop_bad(frame: pd.DataFrame, problems) -> pd.DataFrame:
    bad = {p.question_id for p in problems}
    return frame.drop(columns=[c for c in frame.columns if c in bad])


def _score_table(loaded, path: Path, args) -> int:
    frame = read_answers_csv(path)
    if "id" not in frame.columns:
        raise CliError(f"{path} necesita una columna 'id' (una fila por evaluación).")
    compiled = compile_questionnaire(loaded, args.profundidad or "completo")
    encoded, problems, keep = encode_frame(compiled, frame, strict_rows=True)
    for problem in problems:
        print(f"Error en {problem}", file=sys.stderr)
    dropped = int((~keep).sum())
    if dropped:
        print(
            f"{dropped} fila(s) con errores no se puntuaron; {int(keep.sum())} sí.",
            file=sys.stderr,
        )
    scores = score_batch(compiled, encoded)
    table = _with_plan(batch_frame(compiled, scores), compiled, scores, encoded)
    if (args.formato or "csv") == "json":
        records = json.loads(table.replace({np.nan: None}).to_json(orient="records"))
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        write_csv(table, sys.stdout)
    return 1 if problems else 0


def _with_plan(table: pd.DataFrame, compiled, scores, encoded) -> pd.DataFrame:
    """Add the first five plan actions (question ids) as ``plan_1`` … ``plan_5``."""
    columns = plan_columns(compiled, scores, encoded)
    for k in range(TOP):
        table[f"plan_{k + 1}"] = [row[k] for row in columns]
    return table


def read_answers_csv(path: Path) -> pd.DataFrame:
    """Every cell as text; Arrow's multithreaded reader, or pandas' own for its messages."""
    _check_header(path)
    try:
        return pd.read_csv(path, dtype=str, engine="pyarrow", keep_default_na=False, na_values=[""])
    except Exception:  # noqa: BLE001 - fall back to the reader with the clearer error messages
        pass
    try:
        with warnings.catch_warnings():
            # A row longer than the header would be cut silently: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    except (
        pd.errors.ParserError,
        pd.errors.ParserWarning,
        UnicodeDecodeError,
        pd.errors.EmptyDataError,
    ) as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f" (revise la línea {line.group(1)})" if line else ""
        raise CliError(
            f"{path} no es un CSV legible{where}: cada fila debe tener tantos valores como "
            "columnas, separados por comas, y las comillas deben cerrarse."
        ) from None


def _check_header(path: Path) -> None:
    """Duplicate column names would be renamed silently by pandas: refuse them."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except UnicodeDecodeError:
        raise CliError(f"{path} no está en UTF-8.") from None
    if not header:
        raise CliError(f"{path} está vacío: la primera línea debe tener los nombres de columna.")
    if len(header) == 1 and ";" in header[0]:
        raise CliError(
            f"{path} usa ';' para separar columnas; guárdelo como CSV separado por comas."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise CliError(f"{path}: columnas repetidas: {', '.join(repeated)}. Deje una de cada una.")


def write_csv(table: pd.DataFrame, stream) -> None:
    """Scores rounded to 6 decimals, written by Arrow's CSV writer (fast for 100 000 rows)."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    stream.flush()
    rounded = table.round(6)
    sink = getattr(stream, "buffer", None)
    if sink is None:
        stream.write(rounded.to_csv(index=False))
        return
    pa_csv.write_csv(pa.Table.from_pandas(rounded, preserve_index=False), sink)
    sink.flush()


def _simulate(args) -> int:
    if args.n < 1:
        raise CliError("--n debe ser un número entero positivo.")
    loaded = load_questionnaire(args.cuestionario)
    frame = simulate(compile_questionnaire(loaded, args.profundidad), args.n, args.semilla)
    if args.salida == "-":
        frame.to_csv(sys.stdout, index=False)
    else:
        frame.to_csv(args.salida, index=False)
        print(f"Se escribieron {args.n} evaluaciones en {args.salida}.", file=sys.stderr)
    return 0
