"""Sector modules: read a module file, check it against the questionnaire it extends, merge them.

A module (``cuestionarios/modulos/*.yaml``; format: ``scoring.schema.ModuleFile``) adds themes,
questions and indicators for some CIIU divisions or classes, and materiality factors that
multiply the weights of the extended questionnaire's themes for that sector. Merging gives an
ordinary questionnaire: its themes go into the dimensions and indices they name, its indicators
join the list, and ``modulos`` records what was merged. Everything downstream (engine, plan,
storage, reports) sees one questionnaire, whose content hash covers the core and its modules
and whose YAML text (archived with each assessment) reloads to the same hash.

Problems name the module file and line (or the core file when the core is at fault).
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from scoring import schema
from scoring.checks import check_questionnaire, iter_questions
from scoring.errors import Problem, QuestionnaireError
from scoring.loader import LoadedQuestionnaire, _dedupe, _translate, content_hash
from scoring.yaml_source import MAX_QUESTIONNAIRE_BYTES, Source, read_text_limited, read_yaml

MAX_EXPRESS = 3  # module questions that may join the Exprés depth
MAX_MODULES = 2  # the module of the firm's division plus one for a second activity


@dataclass(frozen=True)
class LoadedModule:
    model: schema.ModuleFile
    file: str
    source: Source = field(repr=False, compare=False)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the module's validated content (part of the merged questionnaire's)."""
        text = json.dumps(self.model.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def id(self) -> str:
        return self.model.id

    def applies_to_division(self, division: int) -> bool:
        """The module was written for this CIIU division (not only for a class inside it)."""
        return division in self.model.ciiu

    def mentions_division(self, division: int) -> bool:
        return any(c == division or c // 100 == division for c in self.model.ciiu)


def load_module(path: str | Path) -> LoadedModule:
    path = Path(path)
    text = read_text_limited(path, MAX_QUESTIONNAIRE_BYTES, "módulo")
    return parse_module(text, str(path))


def parse_module(text: str, file: str = "<texto>") -> LoadedModule:
    """Validate a module's own structure (rules that need the core run in ``merge``)."""
    source = read_yaml(text, file)
    if source.data is None:
        raise QuestionnaireError(source.problems)
    problems = list(source.problems)
    try:
        model = schema.ModuleFile.model_validate(source.data)
    except ValidationError as exc:
        trap_lines = {p.line for p in problems}
        problems.extend(p for p in _translate(exc, source, file) if p.line not in trap_lines)
        raise QuestionnaireError(_dedupe(problems)) from None
    problems.extend(_check_own(model, source, file))
    if problems:
        raise QuestionnaireError(_dedupe(problems))
    return LoadedModule(model, file, source)


def _check_own(model: schema.ModuleFile, source: Source, file: str) -> list[Problem]:
    problems = []

    def add(path, qid, message, fix):
        problems.append(Problem("E_MODULO", file, source.line_of(path), qid, message, fix))

    for k, code in enumerate(model.ciiu):
        division = code if code < 100 else code // 100
        if not (10 <= division <= 33) or 33 < code < 1000:
            add(
                ("ciiu", k),
                None,
                f"El código CIIU {code} no es una división (10 a 33) ni una clase (1010 a 3399) "
                "de la industria manufacturera.",
                "Use divisiones de dos dígitos (por ejemplo 13) o clases de cuatro (por ejemplo "
                "1020).",
            )
        if code in model.ciiu[:k]:
            add(("ciiu", k), None, f"El código CIIU {code} está repetido.", "Déjelo una vez.")
    express = [
        (t, q, question)
        for t, theme in enumerate(model.ejes)
        for q, question in enumerate(theme.preguntas)
        if "expres" in question.profundidades
    ]
    if len(express) > MAX_EXPRESS:
        t, q, question = express[MAX_EXPRESS]
        add(
            ("ejes", t, "preguntas", q, "profundidades"),
            question.id,
            f"El módulo pone {len(express)} preguntas en Exprés; el máximo es {MAX_EXPRESS}.",
            f"Deje 'expres' en las {MAX_EXPRESS} preguntas más importantes del sector.",
        )
    return problems


def merge(core: LoadedQuestionnaire, modules: Sequence[LoadedModule]) -> LoadedQuestionnaire:
    """``core`` with ``modules`` merged (in id order, so the same set gives the same hash)."""
    if not modules:
        return core
    modules = sorted(modules, key=lambda m: m.id)
    problems = [p for m in modules for p in _check_against(core.model, m)]
    if len({m.id for m in modules}) < len(modules) or len(modules) > MAX_MODULES:
        problems.append(
            Problem(
                "E_MODULO",
                modules[-1].file,
                None,
                None,
                f"Se pidieron {len(modules)} módulos (o uno repetido); una evaluación usa a lo "
                f"más {MAX_MODULES} distintos.",
                "Elija el módulo de su división y, si tiene otra actividad, uno más.",
            )
        )
    if problems:
        raise QuestionnaireError(_dedupe(problems))
    data, origin = _merged_data(core.model, modules)
    try:
        model = schema.Questionnaire.model_validate(data)
    except ValidationError as exc:  # the parts were valid: only a broken invariant gets here
        raise QuestionnaireError(
            [Problem("E_MODULO", modules[0].file, None, None, str(exc), "Revise el módulo.")]
        ) from None

    def file_of(path) -> str:
        found = _origin_of(origin, path)
        return found[0].file if found else core.file

    found = check_questionnaire(model, Source(data=None), core.file, file_of)
    if found:  # again with line numbers: the core's lines are read only when needed
        lines = _merged_lines(core, origin)
        found = check_questionnaire(model, Source(data=None, lines=lines), core.file, file_of)
        raise QuestionnaireError(_dedupe(found))
    return LoadedQuestionnaire(
        model=model, file=core.file, content_hash=content_hash(model), source=merged_text(model)
    )


def merged_text(model: schema.Questionnaire) -> str:
    """The YAML (in JSON style: every string quoted, so no YAML 1.1 trap) of a merged version."""
    names = ", ".join(f"{m.id} {m.version}" for m in model.modulos)
    header = (
        f"# {model.id} {model.version} con los módulos sectoriales: {names}.\n"
        "# Generado al unir los archivos; para cambiarlo edite el cuestionario o el módulo.\n"
    )
    return header + json.dumps(model.model_dump(mode="json"), ensure_ascii=False, indent=1) + "\n"


def _check_against(core: schema.Questionnaire, module: LoadedModule) -> list[Problem]:
    """Rules that need the extended questionnaire: target, dimensions, indices, materiality,
    and ids that must not collide with the core's."""
    model, source, problems = module.model, module.source, []

    def add(path, qid, message, fix, kind="pregunta"):
        line = source.line_of(path)
        problems.append(Problem("E_MODULO", module.file, line, qid, message, fix, kind))

    target = model.extiende
    if (target.cuestionario, target.version) != (core.id, core.version):
        add(
            ("extiende",),
            None,
            f"El módulo extiende {target.cuestionario} {target.version}, no {core.id} "
            f"{core.version}.",
            "Revise el módulo contra la versión actual del cuestionario y actualice 'extiende'.",
        )
        return problems
    dimensions = [d.id for d in core.dimensiones]
    themes = [t.id for d in core.dimensiones for t in d.ejes]
    indices = [i.id for i in core.indices]
    questions = {q.id for _, q in iter_questions(core)}
    indicators = {i.id for i in core.indicadores}
    for t, theme in enumerate(model.ejes):
        if theme.dimension not in dimensions:
            add(
                ("ejes", t, "dimension"),
                None,
                f"El eje '{theme.id}' va en la dimensión '{theme.dimension}', que no existe.",
                f"Use una de: {', '.join(dimensions)}." + _guess(theme.dimension, dimensions),
            )
        if theme.indice is not None and theme.indice not in indices:
            add(
                ("ejes", t, "indice"),
                None,
                f"El eje '{theme.id}' alimenta el índice '{theme.indice}', que no existe.",
                f"Use uno de: {', '.join(indices) or '(el cuestionario no declara índices)'}."
                + _guess(theme.indice, indices),
            )
        if theme.id in themes:
            add(
                ("ejes", t, "id"),
                None,
                f"El id de eje '{theme.id}' ya existe en el cuestionario {core.id}.",
                "Use un prefijo del sector (por ejemplo 'tex_').",
            )
        for q, question in enumerate(theme.preguntas):
            if question.id in questions:
                add(
                    ("ejes", t, "preguntas", q, "id"),
                    question.id,
                    f"El id '{question.id}' ya es una pregunta del cuestionario {core.id}.",
                    "Use un prefijo del sector (por ejemplo 'tex_').",
                )
            if isinstance(question, schema.RequirementQuestion):
                add(
                    ("ejes", t, "preguntas", q, "tipo"),
                    question.id,
                    "Un módulo no agrega requisitos del piso legal.",
                    "Use una pregunta de práctica; el piso legal es común a todas las empresas.",
                )
    for k, indicator in enumerate(model.indicadores):
        if indicator.id in indicators:
            add(
                ("indicadores", k, "id"),
                indicator.id,
                f"El id '{indicator.id}' ya es un indicador del cuestionario {core.id}.",
                "Use un prefijo del sector (por ejemplo 'tex_').",
                "indicador",
            )
    for theme_id in model.materialidad:
        if theme_id not in themes:
            add(
                ("materialidad", theme_id),
                None,
                f"'materialidad' menciona el eje '{theme_id}', que no es un eje del "
                f"cuestionario {core.id}.",
                "Use ids de ejes del cuestionario que el módulo extiende."
                + _guess(theme_id, themes),
            )
    return problems


def _guess(word: str, options: list[str]) -> str:
    found = difflib.get_close_matches(word, options, n=1)
    return f" ¿Quiso decir '{found[0]}'?" if found else ""


def _merged_data(core: schema.Questionnaire, modules: Sequence[LoadedModule]):
    """The merged questionnaire as data, and where each added element came from."""
    data = core.model_dump()
    origin: dict[tuple, tuple[LoadedModule, tuple]] = {}
    dimension_at = {d["id"]: i for i, d in enumerate(data["dimensiones"])}
    index_at = {x["id"]: i for i, x in enumerate(data["indices"])}
    principal = next((x["id"] for x in data["indices"] if x["principal"]), None)
    factors: dict[str, float] = {}
    infos = []
    for module in modules:
        model = module.model
        for t, theme in enumerate(model.ejes):
            d = dimension_at[theme.dimension]
            themes = data["dimensiones"][d]["ejes"]
            origin[("dimensiones", d, "ejes", len(themes))] = (module, ("ejes", t))
            themes.append(theme.model_dump(exclude={"dimension", "indice"}))
            owner = theme.indice or principal
            if owner is not None:
                feeds = data["indices"][index_at[owner]]["ejes"]
                origin[("indices", index_at[owner], "ejes", len(feeds))] = (module, ("ejes", t))
                feeds.append(theme.id)
        for k, indicator in enumerate(model.indicadores):
            origin[("indicadores", len(data["indicadores"]))] = (module, ("indicadores", k))
            data["indicadores"].append(indicator.model_dump())
        for theme_id, factor in model.materialidad.items():
            # A firm with two activities: a theme is as material as its most material sector.
            factors[theme_id] = max(factors.get(theme_id, 1.0), float(factor))
        infos.append(
            schema.ModuleInfo(
                id=model.id,
                version=model.version,
                nombre=model.nombre,
                descripcion=model.descripcion,
                ciiu=model.ciiu,
                ejes=[t.id for t in model.ejes],
                indicadores=[i.id for i in model.indicadores],
                materialidad=model.materialidad,
            ).model_dump()
        )
    for dimension in data["dimensiones"]:
        for theme in dimension["ejes"]:
            if theme["id"] in factors:
                theme["peso"] = _weight(theme["peso"] * factors[theme["id"]])
    data["modulos"] = infos
    return data, origin


def _weight(value: float) -> int | float:
    """A weight with the 3 decimals the format allows; whole numbers stay integers."""
    rounded = round(value, 3)
    return int(rounded) if rounded == int(rounded) else rounded


def _origin_of(origin: dict, path: tuple):
    """(module, path inside the module file) of a merged data path, or None for the core."""
    for cut in range(len(path), 0, -1):
        found = origin.get(tuple(path[:cut]))
        if found is not None:
            module, inner = found
            rest = tuple(path[cut:])
            if path[:1] == ("indices",):
                return module, (*inner, "indice")
            return module, (*inner, *rest)
    return None


def _merged_lines(core: LoadedQuestionnaire, origin: dict) -> dict[tuple, int]:
    """Line numbers keyed by merged data paths: the core's own, then the modules'."""
    lines = dict(read_yaml(core.source, core.file).lines) if core.source else {}
    for merged_path, (module, inner) in origin.items():
        for path, line in module.source.lines.items():
            if path[: len(inner)] == inner:
                lines[(*merged_path, *path[len(inner) :])] = line
    return lines
