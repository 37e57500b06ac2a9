"""Inline questionnaires for tests: small dicts turned into validated questionnaires."""

from __future__ import annotations

import copy

import yaml

from scoring.compiled import compile_questionnaire
from scoring.loader import parse_questionnaire

LEVELS = [
    {"nivel": 1, "nombre": "Lineal", "desde": 0, "descripcion": "L."},
    {"nivel": 2, "nombre": "Inicial", "desde": 20, "descripcion": "I."},
    {"nivel": 3, "nombre": "En transición", "desde": 40, "descripcion": "T."},
    {"nivel": 4, "nombre": "Avanzado", "desde": 60, "descripcion": "A."},
    {"nivel": 5, "nombre": "Circular", "desde": 80, "descripcion": "C."},
]


def practice(qid: str, route: str = "R1", weight: float = 1, **extra) -> dict:
    question = {
        "id": qid,
        "tipo": "practica",
        "texto": f"Pregunta {qid}",
        "ruta": route,
        "peso": weight,
        "profundidades": ["expres", "completo"],
        "niveles": [
            {"descripcion": f"Nivel {i} de {qid}.", "recomendacion": f"Paso {i} de {qid}."}
            for i in range(5)
        ],
    }
    question.update(extra)
    return question


def questionnaire(dimensions: list[dict], indicators: list | None = None, **extra) -> dict:
    data = {
        "id": "prueba",
        "version": "1",
        "titulo": "Prueba",
        "niveles": copy.deepcopy(LEVELS),
        "dimensiones": dimensions,
    }
    if indicators:
        data["indicadores"] = indicators
    data.update(extra)
    return data


def dimension(did: str, themes: list[dict], weight: float = 1) -> dict:
    return {"id": did, "nombre": did.title(), "peso": weight, "ejes": themes}


def theme(tid: str, questions: list[dict], weight: float = 1) -> dict:
    return {"id": tid, "nombre": tid.title(), "peso": weight, "preguntas": questions}


def load(data: dict):
    return parse_questionnaire(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "x.yaml")


def compiled(data: dict, depth: str = "completo"):
    return compile_questionnaire(load(data), depth)
