"""The questionnaires and sector modules shipped in ``cuestionarios/``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from scoring.errors import Problem, QuestionnaireError
from scoring.loader import LoadedQuestionnaire, load_questionnaire
from scoring.modules import MAX_MODULES, LoadedModule, load_module, merge

QUESTIONNAIRE_DIR = Path(__file__).resolve().parent.parent / "cuestionarios"
MODULE_DIR = QUESTIONNAIRE_DIR / "modulos"
DEFAULT_ID = "brujula_manufactura"


def available_questionnaires(folder: Path = QUESTIONNAIRE_DIR) -> dict[str, LoadedQuestionnaire]:
    """Every valid questionnaire in ``folder`` keyed by id (raises on an invalid file)."""
    loaded = [load_questionnaire(path) for path in sorted(folder.glob("*.yaml"))]
    return {q.id: q for q in loaded}


def default_questionnaire(folder: Path = QUESTIONNAIRE_DIR) -> LoadedQuestionnaire:
    return load_questionnaire(folder / f"{DEFAULT_ID}.yaml")


def available_modules(folder: Path = MODULE_DIR) -> dict[str, LoadedModule]:
    """Every module file in ``folder`` keyed by id (raises on an invalid file)."""
    found: dict[str, LoadedModule] = {}
    for path in sorted(folder.glob("*.yaml")):
        module = load_module(path)
        if module.id in found:
            raise QuestionnaireError(
                [
                    Problem(
                        "E_MODULO",
                        str(path),
                        module.source.line_of(("id",)),
                        None,
                        f"El id de módulo '{module.id}' ya lo usa {found[module.id].file}.",
                        "Dé a cada módulo un id único.",
                    )
                ]
            )
        found[module.id] = module
    return found


def modules_for(
    core: LoadedQuestionnaire, modules: dict[str, LoadedModule]
) -> dict[str, LoadedModule]:
    """The modules written for this exact questionnaire version, by id."""
    return {
        ident: module
        for ident, module in modules.items()
        if (module.model.extiende.cuestionario, module.model.extiende.version)
        == (core.id, core.version)
    }


def division_module(
    core: LoadedQuestionnaire, modules: dict[str, LoadedModule], division: int
) -> LoadedModule | None:
    """The module a firm of this CIIU division gets (the first by id if several claim it)."""
    for ident in sorted(modules_for(core, modules)):
        if modules[ident].applies_to_division(int(division)):
            return modules[ident]
    return None


def second_activity_options(
    core: LoadedQuestionnaire, modules: dict[str, LoadedModule], division: int
) -> list[LoadedModule]:
    """Modules a firm may add for a second activity: every other module of this version, those
    that name a class inside its own division first (fishmeal, 1020, for a division-10 firm)."""
    primary = division_module(core, modules, division)
    others = [m for m in modules_for(core, modules).values() if m is not primary]
    return sorted(others, key=lambda m: (not m.mentions_division(int(division)), m.model.nombre))


def with_modules(
    core: LoadedQuestionnaire, modules: dict[str, LoadedModule], ids: Sequence[str]
) -> LoadedQuestionnaire:
    """``core`` merged with the modules ``ids`` (cached: the same set gives the same object)."""
    chosen = tuple(sorted(set(ids)))
    if not chosen:
        return core
    if len(chosen) > MAX_MODULES or any(i not in modules for i in chosen):
        unknown = [i for i in chosen if i not in modules]
        raise QuestionnaireError(
            [
                Problem(
                    "E_MODULO",
                    core.file,
                    None,
                    None,
                    f"Módulos no disponibles: {', '.join(unknown)}."
                    if unknown
                    else f"Se pidieron {len(chosen)} módulos; el máximo es {MAX_MODULES}.",
                    f"Use ids de cuestionarios/modulos/ (a lo más {MAX_MODULES}).",
                )
            ]
        )
    parts = tuple(modules[i] for i in chosen)
    key = (core.content_hash, *(m.content_hash for m in parts))
    if key not in _MERGED:
        if len(_MERGED) >= 64:  # several page runs may evict at once: never fail on it
            _MERGED.pop(next(iter(_MERGED), None), None)
        _MERGED[key] = merge(core, parts)
    return _MERGED[key]


_MERGED: dict[tuple[str, ...], LoadedQuestionnaire] = {}  # merged versions are public data


def extended_questionnaire(module: LoadedModule) -> LoadedQuestionnaire | None:
    """The shipped (or archived) questionnaire file a module extends, if any."""
    target = module.model.extiende
    for folder in (QUESTIONNAIRE_DIR, QUESTIONNAIRE_DIR / "archivo"):
        for path in sorted(folder.glob("*.yaml")):
            loaded = load_questionnaire(path)
            if (loaded.id, loaded.version) == (target.cuestionario, target.version):
                return loaded
    return None
