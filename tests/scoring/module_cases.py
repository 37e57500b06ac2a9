"""Shared lookups for the hand-computed sector module tests (tests/scoring/test_modulo_*.py)."""

from __future__ import annotations

from scoring.catalog import available_modules, default_questionnaire, with_modules
from scoring.loader import LoadedQuestionnaire


def merged_with(*module_ids: str) -> LoadedQuestionnaire:
    """The shipped base questionnaire with these shipped modules."""
    return with_modules(default_questionnaire(), available_modules(), list(module_ids))


def theme(result, ident: str):
    return next(t for t in result.ejes if t.id == ident)


def indicator(result, ident: str):
    return next(i for i in result.indicadores if i.id == ident)
