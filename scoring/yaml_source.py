"""Strict YAML reading: no duplicate keys, no YAML 1.1 traps, and a line number for every node."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import yaml

from scoring.errors import Problem

Path = tuple[str | int, ...]

_BOOL_WORDS = re.compile(r"^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+(\.[0-9]*)?$")
_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([Tt ].*)?$")
_SI_WORDS = re.compile(r"^(sí|si|Sí|Si|SÍ|SI|verdadero|falso)$")


@dataclass
class Source:
    """Parsed data plus the line (1-based) where each path starts."""

    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    trap_paths: dict[int, Path] = field(default_factory=dict)

    def line_of(self, path: Path) -> int | None:
        """Line of the deepest known ancestor of ``path``."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


def read_yaml(text: str, file: str) -> Source:
    """Parse ``text`` keeping line numbers; traps and duplicates become problems."""
    source = Source(data=None)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        detail = getattr(exc, "problem", None) or str(exc)
        source.problems.append(
            Problem(
                "E_YAML",
                file,
                line,
                None,
                f"El archivo no es YAML válido ({detail}).",
                "Revise la sangría (dos espacios, sin tabuladores), los dos puntos y las comillas "
                "de esa línea y de la anterior.",
            )
        )
        return source
    if node is None:
        source.problems.append(
            Problem("E_YAML", file, 1, None, "El archivo está vacío.", "Escriba el cuestionario.")
        )
        return source
    source.data = _convert(node, (), source, file)
    source.problems = [
        replace(
            p,
            question_id=element_of(source.trap_paths[p.line], source.data),
            element_kind="indicador"
            if source.trap_paths[p.line][:1] == ("indicadores",)
            else "pregunta",
        )
        if p.question_id is None and p.line in source.trap_paths
        else p
        for p in source.problems
    ]
    return source


def _convert(
    node: yaml.Node, path: Path, source: Source, file: str, ancestors: frozenset = frozenset()
) -> object:
    source.lines[path] = node.start_mark.line + 1
    if id(node) in ancestors:
        source.problems.append(
            Problem(
                "E_YAML",
                file,
                node.start_mark.line + 1,
                None,
                "Un alias (*nombre) se contiene a sí mismo.",
                "Quite esa referencia circular o copie el contenido en lugar del alias.",
            )
        )
        return None
    ancestors = ancestors | {id(node)}
    if isinstance(node, yaml.MappingNode):
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1
            if key in result:
                first = source.lines.get((*path, key))
                source.problems.append(
                    Problem(
                        "E_CLAVE_DUPLICADA",
                        file,
                        line,
                        _question_id(node),
                        f"La clave '{key}' aparece dos veces en el mismo bloque "
                        f"(la primera en la línea {first}); YAML se quedaría solo con la última.",
                        "Deje una sola; si son dos elementos distintos, sepárelos en la lista.",
                    )
                )
                continue
            child_path = (*path, key)
            result[key] = _convert(value_node, child_path, source, file, ancestors)
            source.lines[child_path] = line
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _convert(item, (*path, i), source, file, ancestors) for i, item in enumerate(node.value)
        ]
    return _scalar(node, path, source, file)


def _scalar(node: yaml.ScalarNode, path: Path, source: Source, file: str) -> object:
    text = node.value
    line = node.start_mark.line + 1
    if node.style is None or node.style == "":
        key = path[-1] if path else ""
        source.trap_paths[line] = path
        if _BOOL_WORDS.match(text):
            source.problems.append(
                Problem(
                    "E_YAML11_BOOLEANO",
                    file,
                    line,
                    None,
                    f"'{key}: {text}' sin comillas: YAML 1.1 lo convierte en verdadero/falso.",
                    f'Si es un texto, escríbalo entre comillas ("{text}"); '
                    "si es un sí/no, escriba true o false.",
                )
            )
            return text
        if _LEADING_ZERO.match(text):
            source.problems.append(
                Problem(
                    "E_YAML11_CERO_INICIAL",
                    file,
                    line,
                    None,
                    f"'{key}: {text}' tiene un cero inicial: YAML 1.1 lo lee como número octal "
                    "o lo cambia.",
                    "Escriba el número sin el cero inicial o, si es un código, "
                    f'entre comillas ("{text}").',
                )
            )
            return text
        if _DATE.match(text):
            source.problems.append(
                Problem(
                    "E_YAML11_FECHA",
                    file,
                    line,
                    None,
                    f"'{key}: {text}' parece una fecha sin comillas: "
                    "YAML la convierte en otro tipo.",
                    f'Escriba la fecha entre comillas ("{text}").',
                )
            )
            return text
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    finally:
        loader.dispose()


def _question_id(node: yaml.MappingNode) -> str | None:
    keys = {getattr(k, "value", None): v for k, v in node.value}
    value = keys.get("id")
    if "tipo" in keys and isinstance(value, yaml.ScalarNode):
        return value.value
    return None


def element_of(path: tuple, data: object) -> str | None:
    """Id of the innermost question or indicator on ``path``."""
    found = None
    current = data
    for i, part in enumerate(path):
        try:
            current = current[part]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            break
        parent = path[i - 1] if i else None
        if parent in ("preguntas", "indicadores") and isinstance(current, dict):
            ident = current.get("id")
            found = ident if isinstance(ident, str) else found
    return found


def looks_like_spanish_bool(value: object) -> bool:
    """True for words such as 'sí' or 'no' written where true/false is expected."""
    return isinstance(value, str) and bool(_SI_WORDS.match(value) or _BOOL_WORDS.match(value))
