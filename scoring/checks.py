"""Whole-file rules of a questionnaire: unique ids, references, weights, thresholds, formulas."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from scoring import schema
from scoring.errors import Problem
from scoring.formulas import FormulaError, parse_formula
from scoring.yaml_source import Source

Path = tuple[str | int, ...]


def iter_questions(model: schema.Questionnaire) -> Iterator[tuple[Path, schema.Question]]:
    """Questions in document order with their data path: profile, legal floor, dimensions."""
    for block in ("perfil", "piso_legal"):
        section = getattr(model, block)
        if section is not None:
            for q, question in enumerate(section.preguntas):
                yield (block, "preguntas", q), question
    for d, dim in enumerate(model.dimensiones):
        for t, theme in enumerate(dim.ejes):
            for q, question in enumerate(theme.preguntas):
                yield ("dimensiones", d, "ejes", t, "preguntas", q), question


def check_questionnaire(
    model: schema.Questionnaire, source: Source, file: str, file_of=None
) -> list[Problem]:
    """Every whole-file problem of ``model``. ``file_of(path)`` names the file a data path came
    from when ``model`` merges several files (a questionnaire and its sector modules); the
    lines of ``source`` are then those of that file."""
    problems: list[Problem] = []

    def add(code: str, path: Path, qid: str | None, message: str, fix: str) -> None:
        kind = "indicador" if path[:1] == ("indicadores",) else "pregunta"
        where = file_of(path) if file_of is not None else file
        problems.append(Problem(code, where, source.line_of(path), qid, message, fix, kind))

    _check_levels(model, add)
    _check_ids(model, add)
    _check_weights(model, add)
    _check_questions(model, add)
    _check_indicators(model, add)
    _check_method(model, add)
    return problems


def _check_levels(model, add) -> None:
    levels = model.niveles
    for i, level in enumerate(levels):
        if level.nivel != i + 1:
            add(
                "E_UMBRALES",
                ("niveles", i, "nivel"),
                None,
                f"El nivel en la posición {i + 1} está numerado {level.nivel}.",
                "Numere los niveles 1, 2, 3… en orden, del más lineal al más circular.",
            )
    if levels and levels[0].desde != 0:
        add(
            "E_UMBRALES",
            ("niveles", 0, "desde"),
            None,
            f"El primer nivel empieza en {levels[0].desde}, no en 0.",
            "Ponga 'desde: 0' en el primer nivel para que todo puntaje tenga nivel.",
        )
    for i in range(1, len(levels)):
        if levels[i].desde <= levels[i - 1].desde:
            add(
                "E_UMBRALES",
                ("niveles", i, "desde"),
                None,
                f"El nivel '{levels[i].nombre}' empieza en {levels[i].desde}, que no es mayor que "
                f"el umbral del nivel anterior ({levels[i - 1].desde}).",
                "Ordene los umbrales 'desde' de menor a mayor, sin repetirlos.",
            )


def _check_ids(model, add) -> None:
    seen: dict[str, dict[str, Path]] = {"dimensión": {}, "eje": {}, "pregunta": {}, "indicador": {}}

    def register(kind: str, ident: str, path: Path, qid: str | None) -> None:
        if ident in seen[kind]:
            add(
                "E_ID_DUPLICADO",
                (*path, "id"),
                qid,
                f"El id '{ident}' ya se usó para otra {kind}.",
                f"Cambie uno de los dos; cada {kind} necesita un id único en el archivo.",
            )
        else:
            seen[kind][ident] = path

    for d, dim in enumerate(model.dimensiones):
        register("dimensión", dim.id, ("dimensiones", d), None)
        for t, theme in enumerate(dim.ejes):
            register("eje", theme.id, ("dimensiones", d, "ejes", t), None)
    for path, question in iter_questions(model):
        register("pregunta", question.id, path, question.id)
    for i, indicator in enumerate(model.indicadores):
        register("indicador", indicator.id, ("indicadores", i), indicator.id)


def _decimals_ok(value: float) -> bool:
    return abs(value * 1000 - round(value * 1000)) < 1e-9


def _check_weights(model, add) -> None:
    weighted: list[tuple[Path, str | None, float]] = []
    for d, dim in enumerate(model.dimensiones):
        weighted.append((("dimensiones", d, "peso"), None, dim.peso))
        for t, theme in enumerate(dim.ejes):
            weighted.append((("dimensiones", d, "ejes", t, "peso"), None, theme.peso))
    for path, question in iter_questions(model):
        weighted.append(((*path, "peso"), question.id, question.peso))
    for i, indicator in enumerate(model.indicadores):
        weighted.append((("indicadores", i, "peso"), indicator.id, indicator.peso))
    for path, qid, weight in weighted:
        if not _decimals_ok(weight) or weight > 1000:
            add(
                "E_PESO",
                path,
                qid,
                f"El peso {weight} tiene más de 3 decimales o pasa de 1000.",
                "Use pesos entre 0,001 y 1000 con hasta 3 decimales (por ejemplo 1, 2 o 1.5).",
            )


def _check_questions(model, add) -> None:
    earlier: dict[str, schema.Question] = {}
    scored_by_depth = {depth: 0 for depth in schema.DEPTHS}
    for path, question in iter_questions(model):
        qid = question.id
        if isinstance(question, schema.PracticeQuestion):
            for depth in question.profundidades:
                scored_by_depth[depth] += 1
            _check_routes(question, path, add)
            _check_prerequisites(question, path, earlier, add)
        for key in ("no_aplica_si", "no_corresponde_si"):
            condition = getattr(question, key, None)
            if condition is not None:
                _check_condition(condition, (*path, key), question, earlier, add, key)
        if question.no_aplica_si is not None and not question.permite_no_aplica:
            add(
                "E_CONDICION",
                (*path, "no_aplica_si"),
                qid,
                "La pregunta tiene 'no_aplica_si' pero no admite «No aplica».",
                "Agregue 'permite_no_aplica: true' o quite 'no_aplica_si'.",
            )
        if question.dato_registro is not None and path[0] != "perfil":
            add(
                "E_PERFIL",
                (*path, "dato_registro"),
                qid,
                "Solo las preguntas del perfil pueden tomar un dato del registro.",
                "Mueva la pregunta al bloque 'perfil' o quite 'dato_registro'.",
            )
        if isinstance(question, schema.NumberQuestion) and question.minimo >= question.maximo:
            add(
                "E_RANGO",
                (*path, "minimo"),
                qid,
                f"El rango válido va de {question.minimo} a {question.maximo}.",
                "Ponga un 'minimo' menor que el 'maximo'.",
            )
        if isinstance(question, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
            values = [option.valor for option in question.opciones]
            for value in {v for v in values if values.count(v) > 1}:
                add(
                    "E_ID_DUPLICADO",
                    (*path, "opciones"),
                    qid,
                    f"La opción '{value}' se repite.",
                    "Dé a cada opción un 'valor' distinto.",
                )
        if question.mostrar_si is not None:
            _check_condition(question.mostrar_si, (*path, "mostrar_si"), question, earlier, add)
        earlier[qid] = question
    for depth in {d for _, q in iter_questions(model) for d in q.profundidades}:
        if scored_by_depth[depth] == 0:
            add(
                "E_PROFUNDIDAD",
                ("dimensiones",),
                None,
                f"La profundidad '{depth}' no tiene preguntas de práctica, no se podría puntuar.",
                f"Agregue '{depth}' a las 'profundidades' de algunas preguntas de práctica.",
            )


def _check_routes(question: schema.PracticeQuestion, path: Path, add) -> None:
    if question.ruta is None:
        add(
            "E_RUTA",
            (*path, "ruta"),
            question.id,
            "La pregunta de práctica no dice a qué ruta del ODS 9 aporta.",
            "Agregue 'ruta: R1' (o R2, R3), o fracciones como 'ruta: {R1: 0.5, R2: 0.5}'.",
        )
        return
    shares = schema.route_shares(question.ruta)
    total = sum(shares.values())
    if abs(total - 1) > 1e-9:
        add(
            "E_RUTA",
            (*path, "ruta"),
            question.id,
            f"Las fracciones de ruta suman {total:g}, no 1.",
            "Reparta la pregunta entre rutas con fracciones que sumen 1 (por ejemplo 0.5 y 0.5).",
        )
    if any(abs(v * 100 - round(v * 100)) > 1e-9 for v in shares.values()):
        add(
            "E_RUTA",
            (*path, "ruta"),
            question.id,
            "Una fracción de ruta tiene más de 2 decimales.",
            "Use fracciones con hasta 2 decimales (0.5, 0.25, 0.75…).",
        )


def _check_prerequisites(question: schema.PracticeQuestion, path: Path, earlier, add) -> None:
    for i, need in enumerate(question.requiere):
        where = (*path, "requiere", i, "pregunta")
        target = earlier.get(need.pregunta)
        if need.pregunta == question.id:
            message = "La pregunta se exige a sí misma como requisito."
        elif target is None:
            guess = difflib.get_close_matches(need.pregunta, list(earlier), n=1)
            hint = f" ¿Quiso decir '{guess[0]}'?" if guess else ""
            message = (
                f"'requiere' menciona '{need.pregunta}', que no es una pregunta anterior (un "
                "requisito posterior o inexistente podría formar un ciclo)." + hint
            )
        elif not isinstance(target, schema.PracticeQuestion):
            message = f"'requiere' menciona '{need.pregunta}', que no es de práctica."
        else:
            continue
        add(
            "E_REQUIERE",
            where,
            question.id,
            message,
            "Un requisito debe ser una pregunta de práctica que aparece antes en el archivo "
            "(primero medir, luego mejorar).",
        )


def _check_condition(condition, path: Path, question, earlier, add, key="mostrar_si") -> None:
    qid = question.id
    if isinstance(condition, schema.AllOf | schema.AnyOf):
        items = condition.todas if isinstance(condition, schema.AllOf) else condition.alguna
        sub = "todas" if isinstance(condition, schema.AllOf) else "alguna"
        for i, item in enumerate(items):
            _check_condition(item, (*path, sub, i), question, earlier, add, key)
        return
    target = condition.respondida if isinstance(condition, schema.Answered) else condition.pregunta
    if target not in earlier:
        known = list(earlier)

        guess = difflib.get_close_matches(target, known, n=1)
        hint = f" ¿Quiso decir '{guess[0]}'?" if guess else ""
        add(
            "E_CONDICION",
            path,
            qid,
            f"La condición '{key}' se refiere a '{target}', que no es una pregunta anterior.",
            "Una condición solo puede depender de una pregunta que aparece antes en el archivo."
            + hint,
        )
        return
    referenced = earlier[target]
    missing = [d for d in question.profundidades if d not in referenced.profundidades]
    if missing:
        add(
            "E_CONDICION",
            path,
            qid,
            f"La condición depende de '{target}', que no se pregunta en la profundidad "
            f"'{missing[0]}'.",
            f"Agregue '{missing[0]}' a las profundidades de '{target}' o quite la condición.",
        )
    if isinstance(condition, schema.Compare):
        problem = _compare_problem(condition, referenced)
        if problem:
            add("E_CONDICION", path, qid, problem[0], problem[1])


def _compare_problem(condition: schema.Compare, referenced) -> tuple[str, str] | None:
    op, value, target = condition.operador, condition.valor, condition.pregunta
    if isinstance(referenced, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
        values = [option.valor for option in referenced.opciones]
        if value not in values:
            return (
                f"La condición compara '{target}' con '{value}', que no es una de sus opciones.",
                f"Use uno de: {', '.join(values)}.",
            )
        if op == "incluye" and isinstance(referenced, schema.SingleChoiceQuestion):
            return (
                f"'incluye' solo sirve para opción múltiple; '{target}' es de opción única.",
                "Use 'operador: igual'.",
            )
        if op not in ("igual", "distinto", "incluye"):
            return (
                f"El operador '{op}' no sirve para las opciones de '{target}'.",
                "Use igual, distinto o incluye.",
            )
        return None
    if isinstance(referenced, schema.NumberQuestion | schema.PracticeQuestion):
        if op == "incluye" or isinstance(value, str):
            return (
                f"'{target}' tiene respuesta numérica: compare con un número.",
                "Use igual, distinto, mayor, mayor_o_igual, menor o menor_o_igual con un número.",
            )
        return None
    return (
        f"'{target}' es una pregunta de texto libre y no puede controlar otra pregunta.",
        "Use 'respondida: " + target + "' o una pregunta de opciones.",
    )


def _check_indicators(model, add) -> None:
    numbers = {q.id: q for _, q in iter_questions(model) if isinstance(q, schema.NumberQuestion)}
    dims = {d.id for d in model.dimensiones}
    for i, indicator in enumerate(model.indicadores):
        path: Path = ("indicadores", i)
        ind = indicator.id
        if indicator.dimension not in dims:
            add(
                "E_INDICADOR",
                (*path, "dimension"),
                ind,
                f"El indicador pertenece a la dimensión '{indicator.dimension}', que no existe.",
                f"Use una de: {', '.join(sorted(dims))}.",
            )
        if indicator.minimo >= indicator.maximo:
            add(
                "E_INDICADOR",
                (*path, "minimo"),
                ind,
                f"El rango válido del indicador va de {indicator.minimo} a {indicator.maximo}.",
                "Ponga un 'minimo' menor que el 'maximo'.",
            )
        if indicator.escala is not None and indicator.escala.cero == indicator.escala.cien:
            add(
                "E_INDICADOR",
                (*path, "escala"),
                ind,
                "La escala da 0 y 100 puntos al mismo valor.",
                "Ponga valores distintos en 'cero' y 'cien'.",
            )
        try:
            formula = parse_formula(indicator.formula)
        except FormulaError as exc:
            add(
                "E_INDICADOR",
                (*path, "formula"),
                ind,
                f"Fórmula inválida: {exc}.",
                "Ejemplo: (amb_masa_reciclada + amb_masa_renovable) / amb_masa_total * 100",
            )
            continue
        for name in formula.names:
            if name not in numbers:
                guess = difflib.get_close_matches(name, list(numbers), n=1)
                hint = f"¿Quiso decir '{guess[0]}'? " if guess else ""
                add(
                    "E_INDICADOR",
                    (*path, "formula"),
                    ind,
                    f"La fórmula usa '{name}', que no es una pregunta de tipo numero.",
                    hint + "Una fórmula solo puede usar ids de preguntas de tipo numero.",
                )


def _check_method(model: schema.Questionnaire, add) -> None:
    """Method 2.0 keys: legal floor cap, indices, core indicator set, sector comparison."""
    level_numbers = [level.nivel for level in model.niveles]
    floor = model.piso_legal
    if floor is not None and floor.tope not in level_numbers:
        add(
            "E_PISO",
            ("piso_legal", "tope"),
            None,
            f"El tope del piso legal es el nivel {floor.tope}, que no existe.",
            f"Use uno de los niveles declarados: {', '.join(map(str, level_numbers))}.",
        )
    themes = {t.id: t for d in model.dimensiones for t in d.ejes}
    scored = {
        t.id
        for d in model.dimensiones
        for t in d.ejes
        if any(isinstance(q, schema.PracticeQuestion) for q in t.preguntas)
    }
    owner: dict[str, str] = {}
    principal = [i for i, index in enumerate(model.indices) if index.principal]
    ids = {}
    for i, index in enumerate(model.indices):
        if index.id in ids:
            add(
                "E_ID_DUPLICADO",
                ("indices", i, "id"),
                None,
                f"El índice '{index.id}' está declarado dos veces.",
                "Dé a cada índice un id único.",
            )
        ids[index.id] = i
        for k, theme in enumerate(index.ejes):
            path = ("indices", i, "ejes", k)
            if theme not in themes:
                guess = difflib.get_close_matches(theme, list(themes), n=1)
                hint = f" ¿Quiso decir '{guess[0]}'?" if guess else ""
                add(
                    "E_INDICE",
                    path,
                    None,
                    f"El índice '{index.id}' usa el eje '{theme}', que no existe.",
                    "Use ids de ejes declarados en 'dimensiones'." + hint,
                )
            elif theme in owner:
                add(
                    "E_INDICE",
                    path,
                    None,
                    f"El eje '{theme}' ya alimenta el índice '{owner[theme]}'.",
                    "Cada eje alimenta un solo índice; quítelo de uno de los dos.",
                )
            else:
                owner[theme] = index.id
    if model.indices:
        if len(principal) != 1:
            add(
                "E_INDICE",
                ("indices",),
                None,
                f"Hay {len(principal)} índices con 'principal: true'; el nivel sale de uno solo.",
                "Marque exactamente un índice (el de circularidad) con 'principal: true'.",
            )
        for theme in sorted(scored - set(owner)):
            add(
                "E_INDICE",
                ("indices",),
                None,
                f"El eje '{theme}' tiene preguntas de práctica pero no alimenta ningún índice.",
                "Agregue el eje a la lista 'ejes' de un índice.",
            )
    indicator_ids = [ind.id for ind in model.indicadores]
    for k, ident in enumerate(model.indicadores_nucleo):
        if ident not in indicator_ids:
            guess = difflib.get_close_matches(ident, indicator_ids, n=1)
            hint = f" ¿Quiso decir '{guess[0]}'?" if guess else ""
            add(
                "E_INDICADOR",
                ("indicadores_nucleo", k),
                ident,
                f"El conjunto núcleo menciona '{ident}', que no es un indicador.",
                "Use ids de la lista 'indicadores'." + hint,
            )
        elif model.indicadores[indicator_ids.index(ident)].escala is None:
            add(
                "E_INDICADOR",
                ("indicadores_nucleo", k),
                ident,
                f"El indicador núcleo '{ident}' no tiene 'escala', así que no da puntos.",
                "Dé una escala al indicador o quítelo de 'indicadores_nucleo'.",
            )
    for i, indicator in enumerate(model.indicadores):
        if indicator.comparar_en_sector and indicator.escala is not None:
            add(
                "E_INDICADOR",
                ("indicadores", i, "escala"),
                indicator.id,
                "El indicador tiene escala fija y también se compara dentro del sector.",
                "Quite 'escala' (una escala fija ordena sectores, no empresas) o "
                "'comparar_en_sector'.",
            )
