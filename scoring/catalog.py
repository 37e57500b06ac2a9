"""The questionnaires shipped in ``cuestionarios/``."""

from __future__ import annotations

from pathlib import Path

from scoring.loader import LoadedQuestionnaire, load_questionnaire

QUESTIONNAIRE_DIR = Path(__file__).resolve().parent.parent / "cuestionarios"
DEFAULT_ID = "brujula_manufactura"


def available_questionnaires(folder: Path = QUESTIONNAIRE_DIR) -> dict[str, LoadedQuestionnaire]:
    """Every valid questionnaire in ``folder`` keyed by id (raises on an invalid file)."""
    loaded = [load_questionnaire(path) for path in sorted(folder.glob("*.yaml"))]
    return {q.id: q for q in loaded}


def default_questionnaire(folder: Path = QUESTIONNAIRE_DIR) -> LoadedQuestionnaire:
    return load_questionnaire(folder / f"{DEFAULT_ID}.yaml")
