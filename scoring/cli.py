"""Command line: ``python -m scoring validar | puntuar | simular`` (Spanish verbs and messages)."""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import os
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.answers import encode_frame, records_to_frame
from scoring.compiled import compile_questionnaire
from scoring.engine import batch_frame, score_batch
from scoring.errors import Problem, QuestionnaireError
from scoring.loader import load_questionnaire
from scoring.plan import TOP, plan_table
from scoring.result import build_result
from scoring.schema import DEPTHS
from scoring.simulate import simulate
from scoring.yaml_source import (
    MAX_ANSWERS_BYTES,
    MAX_TABLE_BYTES,
    InputRefused,
    decode_text,
    number_es,
    os_reason,
    read_bytes_limited,
    read_text_limited,
    read_yaml,
)

# Limits of the command line (README «Línea de comandos»).
MAX_SIMULATED = 100_000  # ``simular --n``: 100 000 rows take about 9 s and 0.7 GB
MAX_SEED = 2**32 - 1
MAX_COLUMNS = 10_000  # the shipped questionnaire needs about 400
MAX_LINE_CHARS = 1_000_000  # a 400-column row is about 4 000 characters


class CliError(Exception):
    """A user mistake reported as one Spanish line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    """Run one verb; every outcome is a Spanish message and an exit code, never a traceback.

    0 done; 1 the input was read but has problems (invalid questionnaire, bad rows);
    2 the input or the arguments were refused; 3 an unexpected failure; 130 interrupted.
    """
    try:
        parser = _parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, or a Spanish argument error already printed
            return exc.code if isinstance(exc.code, int) else 2
        return _run(args)
    except KeyboardInterrupt:
        print("\nInterrumpido (Ctrl+C): el trabajo no se terminó.", file=sys.stderr)
        return 130


def _run(args) -> int:
    try:
        return args.run(args)
    except InputRefused as exc:
        print(f"Error: {exc.problem}", file=sys.stderr)
        return 2
    except QuestionnaireError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except CliError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        _quiet_stdout()
        return 0
    except MemoryError:
        print(
            "Error: no alcanzó la memoria para este archivo. Divídalo en partes más pequeñas.",
            file=sys.stderr,
        )
        return 2
    except RecursionError:
        print(
            "Error: el archivo anida demasiados niveles (o tiene referencias &ancla / *alias "
            "que se contienen a sí mismas); simplifíquelo.",
            file=sys.stderr,
        )
        return 2
    except OSError as exc:
        where = f" {str(exc.filename)[:200]}" if isinstance(exc.filename, str) else ""
        print(
            f"Error: no se pudo usar el archivo{where}: {os_reason(exc)}. "
            "Revise la ruta, los permisos y el espacio en disco.",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # noqa: BLE001 - last resort: never a traceback for a user
        print(
            f"Error inesperado (tipo {type(exc).__name__}). Revise los archivos de entrada; "
            "si el problema sigue, repórtelo con este mensaje y el comando usado.",
            file=sys.stderr,
        )
        return 3


def _quiet_stdout() -> None:
    """After a closed pipe (``… | head``), point stdout at /dev/null so the final flush at exit
    does not print an English "Exception ignored" message."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass


# argparse writes its messages in English; they are translated here (Python 3.11–3.13 texts).
_ARGPARSE_ES = [
    (r"^the following arguments are required: (.*)$", r"faltan argumentos obligatorios: \1"),
    (r"^unrecognized arguments: (.*)$", r"argumentos no reconocidos: \1"),
    (
        r"^argument (.*?): invalid choice: (.*?) \(choose from (.*)\)$",
        r"argumento \1: \2 no es una opción válida (elija entre \3)",
    ),
    (r"^argument (.*?): invalid int value: (.*)$", r"argumento \1: \2 no es un número entero"),
    (r"^argument (.*?): invalid (\w+) value: (.*)$", r"argumento \1: \3 no es un valor válido"),
    (r"^argument (.*?): expected one argument$", r"argumento \1: falta su valor"),
    (r"^argument (.*?): expected at least one argument$", r"argumento \1: falta al menos un valor"),
    (r"^argument (.*?): expected .*$", r"argumento \1: número de valores incorrecto"),
    (r"^argument (.*?): ignored explicit argument (.*)$", r"argumento \1: no admite el valor \2"),
    (r"^argument (.*?): not allowed with argument (.*)$", r"argumento \1: no se puede usar con \2"),
    (r"^ambiguous option: (.*?) could match (.*)$", r"opción ambigua: \1 puede ser \2"),
    (r"^one of the arguments (.*) is required$", r"falta uno de estos argumentos: \1"),
    (r"^argument (.*?): (.*)$", r"argumento \1: \2"),  # our own Spanish type errors
]


def translate_argparse(message: str) -> str:
    """Spanish text of one argparse error message."""
    for pattern, spanish in _ARGPARSE_ES:
        if re.match(pattern, message):
            return re.sub(pattern, spanish, message)
    return "argumentos no válidos"


class _SpanishFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "uso: " if prefix is None else prefix)


class SpanishArgumentParser(argparse.ArgumentParser):
    """argparse with Spanish usage, help titles and error messages."""

    def __init__(self, *args, **kwargs):
        kwargs["add_help"] = False
        kwargs.setdefault("formatter_class", _SpanishFormatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "argumentos"
        self._optionals.title = "opciones"
        self.add_argument(
            "-h", "--help", action="help", default=argparse.SUPPRESS, help="muestra esta ayuda"
        )

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(
            2,
            f"Error: {translate_argparse(message)}. Vea «{self.prog} --help».\n",
        )


def _bounded_int(name: str, low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"'{text[:30]}' no vale: {name} debe ser un número entero entre "
                f"{number_es(low)} y {number_es(high)}"
            )
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    parser = SpanishArgumentParser(
        prog="python -m scoring",
        description="Brújula Circular: valida cuestionarios y puntúa evaluaciones.",
    )
    verbs = parser.add_subparsers(title="acciones", metavar="ACCIÓN", required=True)

    check = verbs.add_parser("validar", help="valida uno o más cuestionarios YAML")
    check.add_argument("rutas", nargs="+", metavar="RUTA", help="archivo .yaml o carpeta")
    check.set_defaults(run=_validate)

    score = verbs.add_parser("puntuar", help="puntúa respuestas (YAML/JSON: una; CSV: muchas)")
    score.add_argument("cuestionario", metavar="CUESTIONARIO")
    score.add_argument("respuestas", metavar="RESPUESTAS")
    score.add_argument("--formato", choices=["json", "csv"], default=None, help="formato de salida")
    score.add_argument("--profundidad", choices=DEPTHS, default=None, help="expres o completo")
    score.add_argument(
        "--modulo",
        action="append",
        default=[],
        metavar="ID",
        help="módulo sectorial de cuestionarios/modulos/ (se puede repetir una vez)",
    )
    score.set_defaults(run=_score)

    sim = verbs.add_parser("simular", help="escribe N evaluaciones aleatorias válidas en CSV")
    sim.add_argument("cuestionario", metavar="CUESTIONARIO")
    sim.add_argument(
        "--n",
        type=_bounded_int("--n", 1, MAX_SIMULATED),
        required=True,
        help=f"cuántas evaluaciones (1 a {number_es(MAX_SIMULATED)})",
    )
    sim.add_argument(
        "--semilla",
        type=_bounded_int("--semilla", 0, MAX_SEED),
        default=None,
        help="semilla para repetir el azar (entero de 0 a 4 294 967 295)",
    )
    sim.add_argument("--profundidad", choices=DEPTHS, default="completo", help="expres o completo")
    sim.add_argument("--salida", default="-", help="archivo CSV (por defecto, la pantalla)")
    sim.add_argument("--modulo", action="append", default=[], metavar="ID", help="módulo sectorial")
    sim.set_defaults(run=_simulate)
    schema_verb = verbs.add_parser("esquema", help="escribe el esquema JSON del formato")
    schema_verb.add_argument("--salida", default="-", help="archivo (por defecto, la pantalla)")
    schema_verb.add_argument(
        "--tipo", choices=["cuestionario", "modulo"], default="cuestionario", help="qué formato"
    )
    schema_verb.set_defaults(run=_schema)
    return parser


def json_schema_text(kind: str = "cuestionario") -> str:
    """The JSON Schema of the questionnaire (or sector module) format, for editors."""
    from scoring.schema import ModuleFile, Questionnaire

    model = ModuleFile if kind == "modulo" else Questionnaire
    document = model.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = (
        "Módulo sectorial de Brújula Circular"
        if kind == "modulo"
        else "Cuestionario de Brújula Circular"
    )
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _schema(args) -> int:
    text = json_schema_text(args.tipo)
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
        try:
            is_dir = path.is_dir()
        except OSError:  # a name too long, say: the reader reports it in Spanish
            is_dir = False
        if is_dir:
            files.extend(sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml")))
        else:
            files.append(path)
    if not files:
        raise CliError("no se encontró ningún archivo .yaml en las rutas indicadas.")
    failed = refused = 0
    for path in files:
        try:
            if _is_module(path):
                print(_validate_module(path))
                continue
            loaded = load_questionnaire(path)
        except InputRefused as exc:
            refused += 1
            print(f"✗ {exc.problem}", file=sys.stderr)
            continue
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
    return 2 if refused else 1 if failed else 0


def _is_module(path: Path) -> bool:
    """A sector module file (top-level key ``extiende``), judged from its first 64 kB."""
    try:
        if not path.is_file():  # never open a device or a pipe (it could block)
            return False
        with path.open("rb") as stream:
            head = stream.read(65536).decode("utf-8", errors="replace")
    except OSError:
        return False  # the questionnaire reader says what is wrong, in Spanish
    return re.search(r"^extiende\s*:", head, re.MULTILINE) is not None


def _validate_module(path: Path) -> str:
    """Validate a module alone and merged with the questionnaire version it extends."""
    from scoring.catalog import extended_questionnaire
    from scoring.modules import load_module, merge

    module = load_module(path)
    target = module.model.extiende
    core = extended_questionnaire(module)
    if core is None:
        raise QuestionnaireError(
            [
                Problem(
                    "E_MODULO",
                    str(path),
                    module.source.line_of(("extiende",)),
                    None,
                    f"No se encontró el cuestionario {target.cuestionario} {target.version} "
                    "en cuestionarios/ ni en cuestionarios/archivo/.",
                    "Corrija 'extiende' con el id y la versión de un cuestionario existente.",
                )
            ]
        )
    merged = merge(core, [module])
    count = sum(len(t.preguntas) for t in module.model.ejes)
    ciiu = ", ".join(str(c) for c in module.model.ciiu)
    return (
        f"✓ {path}: módulo '{module.id}' versión {module.model.version} para {core.id} "
        f"{core.version} (CIIU {ciiu}), {count} preguntas, "
        f"{len(module.model.indicadores)} indicadores; unido al cuestionario: huella "
        f"{merged.short_hash}."
    )


def _with_modules(loaded, ids):
    if not ids:
        return loaded
    from scoring.catalog import available_modules, with_modules

    return with_modules(loaded, available_modules(), ids)


def _score(args) -> int:
    loaded = _with_modules(load_questionnaire(args.cuestionario), args.modulo)
    path = Path(args.respuestas)
    if path.suffix.lower() == ".csv":
        return _score_table(loaded, path, args)
    return _score_single(loaded, path, args)


def _read_single(path: Path) -> dict:
    """One assessment, YAML or JSON: at most 1 MB, no anchors or aliases."""
    text = read_text_limited(path, MAX_ANSWERS_BYTES, "archivo de respuestas")
    source = read_yaml(text, str(path), aliases=False)
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
    columns = plan_table(compiled, scores, encoded)
    for k in range(TOP):
        table[f"plan_{k + 1}"] = columns[:, k].tolist()
    return table


def read_answers_csv(path: Path) -> pd.DataFrame:
    """Every cell as text; Arrow's multithreaded reader, or pandas' own for its messages.

    The file is read once with a bounded read (``MAX_TABLE_BYTES``) and checked in linear time
    (line length, header, column count) before any parser sees it.
    """
    path = Path(path)
    data = read_bytes_limited(path, MAX_TABLE_BYTES, "archivo de respuestas")
    text = decode_text(data, str(path), "archivo de respuestas")
    _check_lines(text, path)
    _check_header(text, path)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return pd.read_csv(
            io.BytesIO(data), dtype=str, engine="pyarrow", keep_default_na=False, na_values=[""]
        )
    except Exception:  # noqa: BLE001 - fall back to the reader with the clearer error messages
        pass
    try:
        with warnings.catch_warnings():
            # A row longer than the header would be cut silently: make it an error.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, index_col=False)
    except Exception as exc:  # noqa: BLE001 - any parser failure is the same user mistake
        line = re.search(r"line (\d+)", str(exc))
        where = f" (revise la línea {line.group(1)})" if line else ""
        raise CliError(
            f"{path} no es un CSV legible{where}: cada fila debe tener tantos valores como "
            "columnas, separados por comas, y las comillas deben cerrarse."
        ) from None


def _check_lines(text: str, path: Path) -> None:
    """Refuse a line longer than ``MAX_LINE_CHARS`` (one pass, no copies)."""
    start, number = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        if end - start > MAX_LINE_CHARS:
            raise CliError(
                f"{path}: la línea {number} tiene más de {number_es(MAX_LINE_CHARS)} "
                "caracteres, el máximo que se acepta. Revise que sea un CSV de evaluaciones "
                "(una fila por evaluación)."
            )
        start, number = end + 1, number + 1


def _check_header(text: str, path: Path) -> None:
    """Duplicate column names would be renamed silently by pandas: refuse them (linear time)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, [])
    except csv.Error:
        raise CliError(
            f"{path}: la primera línea (los nombres de columna) no es CSV legible; revise que "
            "las comillas se cierren."
        ) from None
    if not header:
        raise CliError(f"{path} está vacío: la primera línea debe tener los nombres de columna.")
    if len(header) == 1 and ";" in header[0]:
        raise CliError(
            f"{path} usa ';' para separar columnas; guárdelo como CSV separado por comas."
        )
    if len(header) > MAX_COLUMNS:
        raise CliError(
            f"{path} tiene {number_es(len(header))} columnas; el máximo es "
            f"{number_es(MAX_COLUMNS)} (una por pregunta, más id, fuentes y motivos). "
            "Revise que sea el archivo correcto."
        )
    counts = collections.Counter(header)
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        shown = ", ".join(repeated[:20]) + (" …" if len(repeated) > 20 else "")
        raise CliError(f"{path}: columnas repetidas: {shown}. Deje una de cada una.")


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
    if args.salida != "-" and not Path(args.salida).resolve().parent.is_dir():
        raise CliError(
            f"no existe la carpeta de {args.salida}; créela o elija otra ruta para --salida."
        )
    loaded = _with_modules(load_questionnaire(args.cuestionario), args.modulo)
    frame = simulate(compile_questionnaire(loaded, args.profundidad), args.n, args.semilla)
    if args.salida == "-":
        frame.to_csv(sys.stdout, index=False)
    else:
        frame.to_csv(args.salida, index=False)
        print(f"Se escribieron {args.n} evaluaciones en {args.salida}.", file=sys.stderr)
    return 0
