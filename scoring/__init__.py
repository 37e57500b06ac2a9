"""Brújula Circular's pure domain: questionnaires, scoring, levels, action plan, peers.

No streamlit and no database here; ``python -m scoring`` is the command line.
"""

from scoring.catalog import available_questionnaires, default_questionnaire
from scoring.compiled import CompiledQuestionnaire, compile_questionnaire
from scoring.errors import Problem, QuestionnaireError
from scoring.loader import LoadedQuestionnaire, load_questionnaire, parse_questionnaire
from scoring.result import ScoreResult, score_assessment

__all__ = [
    "CompiledQuestionnaire",
    "LoadedQuestionnaire",
    "Problem",
    "QuestionnaireError",
    "ScoreResult",
    "available_questionnaires",
    "compile_questionnaire",
    "default_questionnaire",
    "load_questionnaire",
    "parse_questionnaire",
    "score_assessment",
]
