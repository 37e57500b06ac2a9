"""Load a questionnaire file: strict YAML, pydantic structure, whole-file checks, content hash.

One pipeline, one result: ``load_questionnaire`` returns a ``LoadedQuestionnaire`` or raises a
``QuestionnaireError`` carrying every problem of the file at once.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from scoring import schema
from scoring.checks import check_questionnaire
from scoring.errors import Problem, QuestionnaireError
from scoring.yaml_source import (
    MAX_QUESTIONNAIRE_BYTES,
    Source,
    element_of,
    looks_like_spanish_bool,
    read_text_limited,
    read_yaml,
)


@dataclass(frozen=True)
class LoadedQuestionnaire:
    """A validated questionnaire with where it came from, its content hash and its YAML text."""

    model: schema.Questionnaire
    file: str
    content_hash: str
    source: str = field(repr=False)  # the YAML as read, archived by storage.questionnaires

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def version(self) -> str:
        return self.model.version

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]


# Keys added by method 2.0, left out of the hash while they hold their default, so a file
# written for method 1.0 keeps the hash its assessments were stored with.
_LATER_KEYS = {
    "perfil": None,
    "piso_legal": None,
    "indices": [],
    "umbral_provisional": 100,
    "margen_dimension_debil": 0,
    "indicadores_nucleo": [],
    "no_aplica_si": None,
    "dato_registro": None,
    "requiere": [],
    "uso": "comparable",
    "verificacion": "por_confirmar",
    "frontera": "sitio",
    "periodo": "últimos 12 meses",
    "comparar_en_sector": False,
    "mejor": "mayor",
    "modulos": [],
}


def _without_later_defaults(data: object) -> object:
    if isinstance(data, dict):
        return {
            k: _without_later_defaults(v)
            for k, v in data.items()
            if not (k in _LATER_KEYS and v == _LATER_KEYS[k])
        }
    if isinstance(data, list):
        return [_without_later_defaults(v) for v in data]
    return data


def content_hash(model: schema.Questionnaire) -> str:
    """SHA-256 of the canonical JSON of the validated content (comments and layout excluded)."""
    canonical = json.dumps(
        _without_later_defaults(model.model_dump(mode="json")),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def load_questionnaire(path: str | Path) -> LoadedQuestionnaire:
    """Read and validate one questionnaire file (at most ``MAX_QUESTIONNAIRE_BYTES``; a missing,
    special or oversized file raises ``InputRefused``, a ``QuestionnaireError``)."""
    path = Path(path)
    text = read_text_limited(path, MAX_QUESTIONNAIRE_BYTES, "cuestionario")
    return parse_questionnaire(text, str(path))


def parse_questionnaire(text: str, file: str = "<texto>") -> LoadedQuestionnaire:
    """Validate questionnaire YAML given as text; ``file`` is only used in messages."""
    source = read_yaml(text, file)
    if source.data is None:
        raise QuestionnaireError(source.problems)
    problems = list(source.problems)
    trap_lines = {p.line for p in problems}
    try:
        model = schema.Questionnaire.model_validate(source.data)
    except ValidationError as exc:
        translated = _translate(exc, source, file)
        problems.extend(p for p in translated if p.line not in trap_lines)
        problems.extend(_checks_despite_errors(exc, source, file))
        raise QuestionnaireError(_dedupe(problems)) from None
    problems.extend(check_questionnaire(model, source, file))
    if problems:
        raise QuestionnaireError(_dedupe(problems))
    return LoadedQuestionnaire(
        model=model, file=file, content_hash=content_hash(model), source=text
    )


_PRUNABLE = ("preguntas", "indicadores", "ejes", "dimensiones", "opciones")
_PLACEHOLDERS = {"id": "x", "version": "x", "titulo": "x"}


def _checks_despite_errors(exc: ValidationError, source: Source, file: str) -> list[Problem]:
    """Run the whole-file rules on what is left after setting aside the broken elements,
    so a methodologist sees every problem at once. Problems that mention a set-aside element
    are dropped, since they would only repeat the structural error."""
    data = copy.deepcopy(source.data)
    removed: set[str] = set()
    for _ in range(4):
        paths = {_data_path(tuple(e["loc"]), data) for e in exc.errors()}
        if not _prune(data, paths, removed):
            return []
        try:
            model = schema.Questionnaire.model_validate(data)
        except ValidationError as again:
            exc = again
            continue
        pruned_source = Source(data=data, lines=_shifted_lines(source, data))
        found = check_questionnaire(model, pruned_source, file)
        if any(key in ("niveles",) for key in removed):
            found = [p for p in found if p.code != "E_UMBRALES"]
        return [
            p
            for p in found
            if p.code != "E_PROFUNDIDAD" and not any(f"'{r}'" in p.message for r in removed)
        ]
    return []


def _prune(data: object, paths: set[tuple], removed: set[str]) -> bool:
    """Delete the smallest list element holding each error; False if nothing can be done."""
    if not isinstance(data, dict):
        return False
    targets: list[tuple] = []
    for path in paths:
        if len(path) == 1 and path[0] in _PLACEHOLDERS:
            data[path[0]] = _PLACEHOLDERS[path[0]]
            continue
        cut = None
        for i in range(len(path) - 1, 0, -1):
            if path[i - 1] in _PRUNABLE and isinstance(path[i], int):
                cut = path[: i + 1]
                break
        if cut is None and path and path[0] == "niveles":
            return False
        if cut is None:
            return False
        targets.append(cut)
    for cut in sorted(set(targets), key=lambda c: (len(c), c), reverse=True):
        parent = data
        try:
            for part in cut[:-1]:
                parent = parent[part]
            element = parent[cut[-1]]
        except (KeyError, IndexError, TypeError):
            continue
        removed.update(_ids_within(element))
        del parent[cut[-1]]
    return True


def _ids_within(element: object) -> set[str]:
    """Every id in a set-aside element (a dimension takes its themes and questions along)."""
    if isinstance(element, dict):
        found = {element["id"]} if isinstance(element.get("id"), str) else set()
        for value in element.values():
            found |= _ids_within(value)
        return found
    if isinstance(element, list):
        return set().union(*(_ids_within(item) for item in element)) if element else set()
    return set()


def _shifted_lines(source: Source, data: object) -> dict:
    """Line numbers keyed by the pruned data's paths, matched through element ids."""
    lines: dict[tuple, int] = {}
    original = source.data

    def walk(new: object, old: object, new_path: tuple, old_path: tuple) -> None:
        if old_path in source.lines:
            lines[new_path] = source.lines[old_path]
        if isinstance(new, dict) and isinstance(old, dict):
            for key, value in new.items():
                if key in old:
                    walk(value, old[key], (*new_path, key), (*old_path, key))
        elif isinstance(new, list) and isinstance(old, list):
            j = 0
            for i, item in enumerate(new):
                while j < len(old) and not _same(item, old[j]):
                    j += 1
                if j < len(old):
                    walk(item, old[j], (*new_path, i), (*old_path, j))
                    j += 1

    walk(data, original, (), ())
    return lines


def _same(new: object, old: object) -> bool:
    if isinstance(new, dict) and isinstance(old, dict) and "id" in new:
        return new.get("id") == old.get("id")
    return new == old


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple] = set()
    unique = []
    for problem in problems:
        key = (problem.line, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return sorted(unique, key=lambda p: p.line or 0)


# --- pydantic errors to Spanish problems ----------------------------------------------------

_ALL_KEYS = sorted(
    {
        name
        for model in vars(schema).values()
        if isinstance(model, type) and issubclass(model, BaseModel)
        for name in model.model_fields
    }
)


def _data_path(loc: tuple, data: object) -> tuple:
    """Drop the union tags that pydantic inserts into ``loc`` so it follows the data."""
    path: list[str | int] = []
    current = data
    for part in loc:
        if (
            isinstance(current, dict)
            and part in current
            or isinstance(current, list)
            and isinstance(part, int)
            and part < len(current)
        ):
            current = current[part]
            path.append(part)
        elif isinstance(current, dict | list):
            continue  # a union tag such as 'practica' or 'comparacion'
        else:
            break  # a scalar: what follows names the types tried ('int', 'float')
    return tuple(path)


def _translate(exc: ValidationError, source: Source, file: str) -> list[Problem]:
    problems = []
    seen: set[tuple] = set()
    # Of a union's failures, the specific one ("must be finite") beats "wrong type".
    errors = sorted(exc.errors(), key=lambda e: e["type"].endswith("_type"))
    for error in errors:
        loc = tuple(error["loc"])
        path = _data_path(loc, source.data)
        if error["type"] in ("missing", "extra_forbidden"):
            key = str(loc[-1]) if loc else ""
        else:
            key = next((str(p) for p in reversed(path) if isinstance(p, str)), "")
        if (path, key) in seen:  # a union reports each member's failure: say it once
            continue
        seen.add((path, key))
        line = source.line_of(path)
        element = element_of(path, source.data)
        message, fix, code = _explain(error, key, path)
        kind = "indicador" if path[:1] == ("indicadores",) else "pregunta"
        problems.append(Problem(code, file, line, element, message, fix, kind))
    return problems


def _explain(error: dict, key: str, path: tuple) -> tuple[str, str, str]:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    where = ".".join(str(p) for p in path) or "raíz"
    if kind == "extra_forbidden":
        if key in _ALL_KEYS:  # a real key, in the wrong block
            return (
                f"La clave '{key}' no va en este lugar.",
                "Revise la sangría (quizá pertenece al bloque de arriba) o bórrela. Dónde va "
                "cada clave está en cuestionarios/README.md.",
                "E_CLAVE_DESCONOCIDA",
            )
        guesses = difflib.get_close_matches(key, _ALL_KEYS, n=1, cutoff=0.6)
        hint = f"¿Quiso decir '{guesses[0]}'?" if guesses else "Bórrela o revise la guía."
        return (
            f"La clave '{key}' no existe en el formato.",
            hint + " Las claves válidas están en cuestionarios/README.md.",
            "E_CLAVE_DESCONOCIDA",
        )
    if kind == "missing":
        return (
            f"Falta la clave obligatoria '{key}' en {where.rsplit('.', 1)[0]}.",
            f"Agregue '{key}: …' (vea cuestionarios/README.md).",
            "E_FALTA_CLAVE",
        )
    if kind == "union_tag_invalid":
        tag = ctx.get("tag")
        valid = "practica, opcion_unica, opcion_multiple, numero, texto"
        guesses = difflib.get_close_matches(str(tag), valid.split(", "), n=1)
        hint = f"¿Quiso decir '{guesses[0]}'? " if guesses else ""
        return f"El tipo '{tag}' no existe.", f"{hint}Use uno de: {valid}.", "E_VALOR"
    if kind == "union_tag_not_found":
        return (
            "La pregunta no dice de qué tipo es.",
            "Agregue 'tipo: practica' (u opcion_unica, opcion_multiple, numero, texto).",
            "E_FALTA_CLAVE",
        )
    if kind == "bool_type":
        if looks_like_spanish_bool(value):
            return (
                f"'{key}: {value}' no es un sí/no que el programa entienda.",
                "Escriba true (sí) o false (no), sin comillas.",
                "E_TIPO",
            )
        return f"'{key}' debe ser true o false.", "Escriba true o false, sin comillas.", "E_TIPO"
    if kind in ("string_type",):
        return (
            f"'{key}' debe ser un texto (se leyó {value!r}).",
            f'Escríbalo entre comillas: {key}: "{value}".',
            "E_TIPO",
        )
    if kind == "finite_number":
        return (
            f"'{key}' debe ser un número finito (se leyó {value!r}).",
            "Escriba un número común, sin .inf ni .nan.",
            "E_VALOR",
        )
    if kind in ("int_type", "float_type", "int_from_float"):
        return (
            f"'{key}' debe ser un número (se leyó {value!r}).",
            "Escriba el número sin comillas, con punto decimal (por ejemplo 2.5).",
            "E_TIPO",
        )
    if kind in ("list_type",):
        return (
            f"'{key}' debe ser una lista.",
            "Escriba cada elemento en su propia línea, empezando con '- '.",
            "E_TIPO",
        )
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        what = f"'{key}'" if key else "El cuestionario"
        return (
            f"{what} debe ser un bloque de claves (clave: valor).",
            "Revise la sangría: las claves del bloque van debajo, con dos espacios más.",
            "E_TIPO",
        )
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        guesses = difflib.get_close_matches(
            str(value), [e.strip(" '") for e in str(expected).replace(" or ", ",").split(",")], n=1
        )
        hint = f"¿Quiso decir '{guesses[0]}'? " if guesses else ""
        return (
            f"El valor {value!r} no está permitido en '{key}'.",
            f"{hint}Use uno de: {expected.replace(' or ', ', ')}.",
            "E_VALOR",
        )
    if kind == "string_pattern_mismatch":
        return (
            f"El id {value!r} no tiene la forma permitida.",
            "Use solo minúsculas sin tildes, dígitos y '_', empezando por una letra "
            "(por ejemplo eco_estrategia_1).",
            "E_VALOR",
        )
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        words = {
            "greater_than": "mayor que",
            "greater_than_equal": "mayor o igual que",
            "less_than": "menor que",
            "less_than_equal": "menor o igual que",
        }
        limit = next(iter(ctx.values()), "")
        code = "E_PESO" if key == "peso" else "E_VALOR"
        return (
            f"'{key}' vale {value!r} y debe ser {words[kind]} {limit}.",
            f"Corrija el valor de '{key}'.",
            code,
        )
    if kind in ("too_short", "too_long"):
        if key == "niveles" and "preguntas" in path:
            return (
                f"Una pregunta de práctica tiene {ctx.get('actual_length')} niveles.",
                "Escriba exactamente 5 niveles, del 0 al 4, en orden.",
                "E_VALOR",
            )
        size = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        word = "al menos" if kind == "too_short" else "como máximo"
        return (
            f"'{key}' tiene {ctx.get('actual_length')} elementos.",
            f"Debe tener {word} {size}.",
            "E_VALOR",
        )
    if kind in ("string_too_short", "string_too_long"):
        size = ctx.get("min_length") if kind == "string_too_short" else ctx.get("max_length")
        word = "al menos" if kind == "string_too_short" else "como máximo"
        return (
            f"'{key}' debe tener {word} {size} caracteres.",
            f"Corrija el texto de '{key}'.",
            "E_VALOR",
        )
    # pydantic's own message is English: name the rule instead (issue 12).
    return (
        f"'{key}' tiene un valor no permitido (regla {kind}).",
        "Revise ese valor con la guía.",
        "E_VALOR",
    )
