"""The machine-readable report: versioned JSON, validated against its published schema.

Results of method 2.0 follow ``schema/resultado-2.1.json`` (2.0 plus the sector modules);
``schema/resultado-2.0.json`` and ``schema/resultado-1.0.json`` stay published so that reports
written before keep validating."""

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
SCHEMA_ID_2 = "brujula-resultado/2.0"  # method 2.0 before sector modules (still validates)
SCHEMA_ID_2_1 = "brujula-resultado/2.1"  # method 2.0 with ``modulos``: what is written now
SCHEMA_FILE = SCHEMA_DIR / "resultado-1.0.json"
SCHEMA_FILES = {
    SCHEMA_ID: SCHEMA_FILE,
    SCHEMA_ID_2: SCHEMA_DIR / "resultado-2.0.json",
    SCHEMA_ID_2_1: SCHEMA_DIR / "resultado-2.1.json",
}


@cache
def report_schema(schema_id: str = SCHEMA_ID) -> dict[str, Any]:
    return json.loads(SCHEMA_FILES[schema_id].read_text(encoding="utf-8"))


def schema_id_for(result: ScoreResult) -> str:
    return SCHEMA_ID_2_1 if content.is_v2(result) else SCHEMA_ID


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
    extra = {"sector": _sector(result, context), "modulos": _modules(result, context)} if v2 else {}
    if not v2:
        scored.pop("modulos", None)  # 1.0 documents have no sector modules
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


def _sector(result: ScoreResult, context: ReportContext) -> dict[str, Any] | None:
    if not context.sector:
        return None
    found = {}
    for ident, c in context.sector.items():
        if c is None:
            continue
        module = result.module_of_indicator(ident)
        found[ident] = {
            "valor": c.valor,
            "mediana": c.mediana,
            "n": c.n,
            "puntaje": c.puntaje,
            "modulo": module.id if module else None,
        }
    return found


def _modules(result: ScoreResult, context: ReportContext) -> list[dict[str, Any]]:
    """The readable «Módulo sectorial» sections (the same content as the PDF and the Excel)."""
    indicators = {i.id: i for i in result.indicadores}
    sections = []
    for section in content.module_sections(result, context):
        sections.append(
            {
                "id": section["id"],
                "nombre": section["nombre"],
                "version": section["version"],
                "ciiu": section["ciiu"],
                "alcance": section["alcance"],
                "descripcion": section["descripcion"] or None,
                "como_cuenta": section["como_cuenta"],
                "comparacion": section["comparacion"],
                "materialidad": section["materialidad"],
                "ejes": [
                    {
                        "id": t["id"],
                        "nombre": t["nombre"],
                        "dimension": t["dimension"],
                        "indice": t["indice"],
                        "preguntas": t["preguntas"],
                        "puntaje": t["puntaje"],
                        "puntaje_sin_no_se": t["puntaje_sin_no_se"],
                        "puntaje_maximo": t["puntaje_maximo"],
                        "banda": t["banda"],
                        "pares": t["pares"],
                    }
                    for t in section["ejes"]
                ],
                "indicadores": [
                    {
                        "id": r["id"],
                        "nombre": r["nombre"],
                        "valor": r["valor"] if r["valido"] else None,
                        "unidad": r["unidad"],
                        "frontera": indicators[r["id"]].frontera,
                        "periodo": r["periodo"],
                        "fuente": indicators[r["id"]].fuente,
                        "valido": r["valido"],
                        "motivo": None if r["valido"] else r["validez"],
                        "puntaje": r["puntaje_sector"] if r["comparar_en_sector"] else r["puntaje"],
                        "comparar_en_sector": r["comparar_en_sector"],
                        "comparacion": r["sector"],
                        "sector": None
                        if r["comparacion"] is None
                        else {**r["comparacion"], "modulo": section["id"]},
                    }
                    for r in section["indicadores"]
                ],
            }
        )
    return sections


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
