"""The machine-readable report: versioned JSON, validated against its published schema.

Results of method 2.0 follow ``schema/resultado-2.0.json``; method 1.0 results keep
``schema/resultado-1.0.json`` so that old reports stay valid."""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from reports import content
from reports.context import ReportContext
from scoring.result import ScoreResult

SCHEMA_DIR = Path(__file__).parent / "schema"
SCHEMA_ID = "brujula-resultado/1.0"
SCHEMA_ID_2 = "brujula-resultado/2.0"
SCHEMA_FILE = SCHEMA_DIR / "resultado-1.0.json"
SCHEMA_FILES = {SCHEMA_ID: SCHEMA_FILE, SCHEMA_ID_2: SCHEMA_DIR / "resultado-2.0.json"}


@cache
def report_schema(schema_id: str = SCHEMA_ID) -> dict[str, Any]:
    return json.loads(SCHEMA_FILES[schema_id].read_text(encoding="utf-8"))


def schema_id_for(result: ScoreResult) -> str:
    return SCHEMA_ID_2 if content.is_v2(result) else SCHEMA_ID


def _clean(value: Any) -> Any:
    """Plain JSON types: numpy scalars to float, NaN to null."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return value
    if isinstance(value, float) or hasattr(value, "__float__"):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    return value


def report_dict(result: ScoreResult, context: ReportContext) -> dict[str, Any]:
    firm = context.firm
    v2 = content.is_v2(result)
    scored = result.to_dict()
    engine_version = scored.pop("esquema", None)
    answers = [
        {
            "pregunta_id": r["id"],
            "dimension": r["dimension_id"],
            "eje": r["eje_id"],
            "ruta": r["ruta"],
            "tipo": r["tipo"],
            "valor": _answer_value(context.answers.get(r["id"])),
            "respuesta": r["respuesta"],
            "fuente": context.sources.get(r["id"]),
            **({"motivo_no_aplica": r["motivo_no_aplica"]} if v2 else {}),
        }
        for r in content.answer_rows(result, context)
    ]
    peers = None
    if context.peers is not None:
        peers = {"grupo": context.peer_label, "puntajes": {}}
        for key in ["global", *(d.id for d in result.dimensiones), *(r.id for r in result.rutas)]:
            peers["puntajes"][key] = context.peer(key)
    extra = {"sector": _sector(context)} if v2 else {}
    return _clean(
        {
            "esquema": schema_id_for(result),
            "empresa": {
                "razon_social": firm.razon_social,
                "ruc": firm.ruc,
                "ciiu_division": firm.ciiu_division,
                "ciiu_nombre": firm.ciiu_nombre,
                "region": firm.region,
                "tamano": firm.tamano,
                "trabajadores": firm.trabajadores,
            },
            "evaluacion": {
                "fecha": context.assessment_date.isoformat(),
                "enviada": context.submitted,
                "cuestionario": {
                    "id": result.cuestionario_id,
                    "version": result.cuestionario_version,
                    "hash": result.cuestionario_hash,
                    "titulo": context.compiled.model.titulo,
                    "profundidad": result.profundidad,
                },
            },
            "resultado": {"esquema_motor": engine_version, **scored},
            "respuestas": answers,
            "pares": peers,
            **extra,
        }
    )


def _sector(context: ReportContext) -> dict[str, Any] | None:
    if not context.sector:
        return None
    return {
        ident: {"valor": c.valor, "mediana": c.mediana, "n": c.n, "puntaje": c.puntaje}
        for ident, c in context.sector.items()
        if c is not None
    }


def _answer_value(value: object) -> object:
    if isinstance(value, list | tuple | set):
        return [str(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def build_json(result: ScoreResult, context: ReportContext) -> bytes:
    """The report as UTF-8 JSON (indent 2), valid against the published schema."""
    text = json.dumps(report_dict(result, context), ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def validate_report_json(data: bytes | str | dict, schema_id: str | None = None) -> None:
    """Raise ``jsonschema.ValidationError`` when ``data`` does not follow its schema.

    The schema is ``schema_id`` or, by default, the one the document names in ``esquema``
    (1.0 when it names none that is published)."""
    if isinstance(data, bytes | str):
        data = json.loads(data)
    if schema_id is None:
        named = data.get("esquema") if isinstance(data, dict) else None
        schema_id = named if named in SCHEMA_FILES else SCHEMA_ID
    jsonschema.validate(data, report_schema(schema_id), cls=jsonschema.Draft202012Validator)
