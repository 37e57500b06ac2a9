"""Strict YAML reading: no duplicate keys, no YAML 1.1 traps, and a line number for every node.

Hostile files are refused before they cost anything (issue 12): files are read with a bounded
read (``read_text_limited``), never from a device or a pipe; the YAML events are counted before
the tree is built, so nested aliases ("billion laughs") and deep nesting are refused by size,
not by running out of memory; every refusal is a Spanish ``InputRefused`` naming the file, the
limit and what to do.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import threading
from dataclasses import dataclass, field, replace

import yaml

from scoring.errors import Problem, QuestionnaireError

# Limits (documented in README «Línea de comandos»). The shipped questionnaire has about 5 000
# nodes, 10 levels deep and 220 kB; answer files are a few kB.
MAX_QUESTIONNAIRE_BYTES = 5 * 1024 * 1024
MAX_ANSWERS_BYTES = 1024 * 1024  # one assessment, YAML or JSON
MAX_TABLE_BYTES = 100 * 1024 * 1024  # CSV of many assessments (100 000 rows are about 85 MB)
MAX_NODES = 200_000  # after expanding aliases
MAX_DEPTH = 50

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
    nodes_left: int = MAX_NODES  # guard while building, besides the count before it

    def line_of(self, path: Path) -> int | None:
        """Line of the deepest known ancestor of ``path``."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


class InputRefused(QuestionnaireError):
    """A file refused before parsing or building it: unreadable, too large, too deep, aliases.

    A ``QuestionnaireError`` with one problem, so callers of ``load_questionnaire`` need no new
    handling; the command line reports it with exit code 2.
    """

    def __init__(self, file: str, message: str, fix: str, line: int | None = None):
        super().__init__([Problem("E_ARCHIVO", file, line, None, message, fix)])

    @property
    def problem(self) -> Problem:
        return self.problems[0]


def number_es(value: int) -> str:
    """``200000`` → ``200 000`` (Spanish digit grouping)."""
    return f"{value:,}".replace(",", " ")


def _size(limit: int) -> str:
    if limit >= 1024 * 1024:
        return f"{limit // (1024 * 1024)} MB"
    return f"{limit // 1024} kB"


_OS_REASONS = {
    errno.ENOENT: "no existe",
    errno.EISDIR: "es una carpeta, no un archivo",
    errno.ENOTDIR: "una parte de la ruta no es una carpeta",
    errno.EACCES: "no tiene permiso para leerlo",
    errno.EPERM: "no tiene permiso para leerlo",
    errno.ENAMETOOLONG: "el nombre es demasiado largo",
    errno.ELOOP: "tiene enlaces simbólicos que se apuntan en círculo",
    errno.ENOSPC: "el disco está lleno",
    errno.EROFS: "el disco es de solo lectura",
    errno.EIO: "error de lectura del disco",
    errno.EMFILE: "hay demasiados archivos abiertos",
}


def os_reason(exc: OSError) -> str:
    """The reason of an operating-system error, in Spanish."""
    if exc.errno in _OS_REASONS:
        return _OS_REASONS[exc.errno]
    code = errno.errorcode.get(exc.errno or 0, "desconocido")
    return f"error del sistema {code}"


def read_text_limited(path: str | os.PathLike, limit: int, what: str) -> str:
    """UTF-8 text of a regular file of at most ``limit`` bytes, or ``InputRefused``."""
    return decode_text(read_bytes_limited(path, limit, what), os.fspath(path), what)


def read_bytes_limited(path: str | os.PathLike, limit: int, what: str) -> bytes:
    """Bytes of a regular file of at most ``limit`` bytes, or ``InputRefused``.

    Opened without blocking and checked with ``fstat`` on the open descriptor, so a FIFO, a
    device such as ``/dev/zero`` or a directory is refused at once; at most ``limit + 1``
    bytes are ever read.
    """
    file = os.fspath(path)
    if not file:
        raise InputRefused("(ruta vacía)", f"Falta la ruta del {what}.", "Indique un archivo.")
    try:
        descriptor = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputRefused(
            file,
            f"No se pudo leer el {what}: {os_reason(exc)}.",
            "Revise la ruta y los permisos del archivo.",
        ) from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise InputRefused(
                file,
                f"Es una carpeta, no un {what}.",
                "Indique el archivo que está dentro de la carpeta.",
            )
        if not stat.S_ISREG(mode):
            raise InputRefused(
                file,
                f"No es un archivo común (es un dispositivo, una tubería o un socket); el {what} "
                "debe ser un archivo guardado en el disco.",
                "Guarde los datos en un archivo y vuelva a intentarlo.",
            )
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    except OSError as exc:
        raise InputRefused(
            file, f"No se pudo leer el {what}: {os_reason(exc)}.", "Revise el archivo."
        ) from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise InputRefused(
            file,
            f"El {what} pesa más de {_size(limit)}, el máximo que se acepta.",
            "Revise que sea el archivo correcto; si lo es, divídalo en partes más pequeñas.",
        )
    return data


def decode_text(data: bytes, file: str, what: str) -> str:
    """UTF-8 (with or without BOM) text; binary content and other encodings are refused."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputRefused(
            file,
            f"El {what} contiene bytes nulos (NUL): parece un archivo binario, no texto.",
            "Guárdelo como texto (YAML, JSON o CSV) en UTF-8.",
            line,
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputRefused(
            file,
            f"El {what} no está en UTF-8 (byte no válido en la línea {line}).",
            "Guárdelo como texto UTF-8 (en Excel: «CSV UTF-8»; en un editor: codificación UTF-8).",
            line,
        ) from None
    return text.removeprefix("\ufeff")


def _prescan(text: str, file: str, aliases: bool, max_nodes: int, max_depth: int) -> None:
    """Count the nodes the tree would have once aliases are expanded, and the nesting depth,
    from the event stream (linear in the text, nothing expanded); refuse beyond the limits.
    Syntax errors are left to the composer, which reports them with a line."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    sizes: dict[str, int] = {}  # anchor -> nodes of its expanded subtree
    open_collections: list[tuple[str | None, int]] = []
    total = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent):
                if not aliases:
                    raise InputRefused(
                        file,
                        f"Usa un alias (*{event.anchor}); los archivos de respuestas no admiten "
                        "anclas (&) ni alias (*).",
                        "Escriba cada valor completo en lugar del alias.",
                        event.start_mark.line + 1,
                    )
                total += sizes.get(event.anchor, 1)
            elif isinstance(event, yaml.ScalarEvent):
                total += 1
                if event.anchor:
                    sizes[event.anchor] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                total += 1
                open_collections.append((event.anchor, total - 1))
                if len(open_collections) > max_depth:
                    raise InputRefused(
                        file,
                        f"Anida bloques o listas a más de {max_depth} niveles, el máximo que "
                        "se acepta (un cuestionario usa unos 10).",
                        "Revise la sangría y los corchetes de esa zona.",
                        event.start_mark.line + 1,
                    )
            elif isinstance(event, yaml.CollectionEndEvent) and open_collections:
                anchor, start = open_collections.pop()
                if anchor:
                    sizes[anchor] = total - start
            if total > max_nodes:
                raise InputRefused(
                    file,
                    f"Tendría más de {number_es(max_nodes)} elementos al expandir los alias "
                    "(*nombre), el máximo que se acepta (un cuestionario completo tiene "
                    "unos 5 000).",
                    "Copie el contenido en lugar de encadenar alias, o divida el archivo.",
                    getattr(getattr(event, "start_mark", None), "line", -1) + 1 or None,
                )
    except yaml.YAMLError:
        return


def _compose(text: str) -> yaml.Node | None:
    """libyaml for speed; on a syntax error, the pure-Python composer for its exact report."""
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


_FOUND = r"(?:, but (?:found|got) .*)?$"
_YAML_PROBLEMS = [
    (r"^mapping values are not allowed here", "hay dos puntos (:) donde no cabe un valor"),
    (r"^could not find expected ':'", "falta ':' después de una clave"),
    (r"^found character '\\t' that cannot start", "hay un tabulador; use espacios"),
    (
        r"^found character .* that cannot start any token",
        "hay un carácter que no puede iniciar un valor (escriba el texto entre comillas)",
    ),
    (r"^expected <block end>" + _FOUND, "la sangría no cuadra con la de las líneas anteriores"),
    (
        r"^found unexpected end of stream",
        "el archivo termina antes de cerrar unas comillas o un corchete",
    ),
    (
        r"^expected ',' or '[\]}]'" + _FOUND,
        "falta una coma o el cierre de una lista o bloque entre corchetes o llaves",
    ),
    (r"^found undefined alias", "usa un alias (*nombre) sin su ancla (&nombre) antes"),
    (r"^expected a single document", "tiene más de un documento (líneas '---'); deje uno solo"),
    (
        r"^found unknown escape character",
        "tiene una secuencia de escape (\\) desconocida entre comillas dobles",
    ),
    (r"^expected the node content" + _FOUND, "falta un valor"),
    (r"^sequence entries are not allowed here", "hay un guion de lista (-) donde no cabe"),
    (r"^mapping keys are not allowed here", "hay una clave (?) donde no cabe"),
    (r"^expected '<document start>'" + _FOUND, "hay texto después del final del documento"),
    (r"^found duplicate anchor", "define dos veces la misma ancla (&nombre)"),
    (r"^invalid indentation or unclosed", "la sangría es inválida o falta cerrar '[' o '{'"),
    (r"^expected alphabetic or numeric character", "el nombre de un ancla o alias no es válido"),
    (
        r"^(found undefined tag handle|found non-specific tag|expected URI)",
        "usa una etiqueta (!) que no se reconoce",
    ),
    (r"^found unexpected ':'", "hay dos puntos (:) donde no se esperan"),
    (r"^expected ' ', but found", "falta un espacio"),
    (r"^expected a comment or a line break", "hay texto de más al final de la línea"),
    (r"^found a tab character", "hay un tabulador; use espacios"),
]


def _yaml_problem_es(exc: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """Line and Spanish description of a PyYAML error."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: max(exc.position, 0)].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else 0
        return line, f"tiene un carácter no permitido (U+{code:04X})"
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark else None
    problem = getattr(exc, "problem", None) or ""
    for pattern, spanish in _YAML_PROBLEMS:
        if re.search(pattern, problem):
            return line, spanish
    return line, "tiene un error de sintaxis"


def read_yaml(
    text: str,
    file: str,
    *,
    aliases: bool = True,
    max_nodes: int = MAX_NODES,
    max_depth: int = MAX_DEPTH,
) -> Source:
    """Parse ``text`` keeping line numbers; traps and duplicates become problems.

    Raises ``InputRefused`` when the expanded tree would exceed ``max_nodes`` or ``max_depth``,
    or, with ``aliases=False`` (answer files), at the first alias.
    """
    source = Source(data=None, nodes_left=max_nodes)
    _prescan(text, file, aliases, max_nodes, max_depth)
    try:
        node = _compose(text)
    except RecursionError:
        raise InputRefused(
            file,
            f"Anida bloques o listas a más de {max_depth} niveles, el máximo que se acepta.",
            "Revise la sangría y los corchetes.",
        ) from None
    except yaml.YAMLError as exc:
        line, detail = _yaml_problem_es(exc, text)
        source.problems.append(
            Problem(
                "E_YAML",
                file,
                line,
                None,
                f"El archivo no es YAML válido: {detail}.",
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
    source.nodes_left -= 1
    if source.nodes_left < 0:
        raise InputRefused(
            file,
            "Tiene demasiados elementos al expandir los alias (*nombre).",
            "Copie el contenido en lugar de encadenar alias, o divida el archivo.",
            node.start_mark.line + 1,
        )
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
    constructor = getattr(_local, "constructor", None)
    if constructor is None:
        constructor = _local.constructor = yaml.constructor.SafeConstructor()
    try:
        return constructor.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        # An explicit tag (!!python/…, !!int on a word, !!binary…) or a 5 000-digit integer.
        source.problems.append(
            Problem(
                "E_YAML",
                file,
                line,
                None,
                f"El valor '{text[:40]}' no se puede leer (etiqueta {node.tag} o número de "
                "demasiadas cifras).",
                "Quite la etiqueta (!…) o escriba el valor entre comillas.",
            )
        )
        return text
    finally:
        constructor.constructed_objects.clear()
        constructor.recursive_objects.clear()


_local = threading.local()  # one SafeConstructor per thread (the app parses in threads)


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
