"""The JSON report follows its published, versioned schema."""

from __future__ import annotations

import json

import jsonschema
import pytest

from reports.json_report import (
    SCHEMA_ID,
    SCHEMA_ID_2,
    SCHEMA_ID_2_1,
    build_json,
    report_schema,
    validate_report_json,
)
from reports.sample import sample_report
from tests.reports.conftest import HOSTILE_NAME, with_firm


def test_json_is_valid_and_versioned(sample):
    result, context = sample
    raw = build_json(result, context)
    validate_report_json(raw)
    data = json.loads(raw.decode("utf-8"))
    assert data["esquema"] == SCHEMA_ID_2_1 == "brujula-resultado/2.1"  # the base is method 2.0
    assert SCHEMA_ID == "brujula-resultado/1.0"  # still published for v1 results
    assert SCHEMA_ID_2 == "brujula-resultado/2.0"  # still published for 2.0 documents
    assert data["modulos"] == [] and data["resultado"]["modulos"] == []  # core only
    assert data["empresa"]["ruc"] == context.firm.ruc
    assert data["evaluacion"]["cuestionario"]["hash"] == result.cuestionario_hash
    assert data["resultado"]["global"]["puntaje"] == pytest.approx(result.global_.puntaje)
    assert len(data["respuestas"]) == len(context.compiled.questions)
    assert data["pares"]["puntajes"]["global"]["median"] == context.peers["global"]["median"]
    assert raw.startswith(b'{\n  "esquema"')  # indent 2, UTF-8


def test_json_without_peers_and_hostile_text(sample):
    result, context = sample_report("expres", seed=5, with_peers=False)
    raw = build_json(result, with_firm(context, razon_social=HOSTILE_NAME))
    validate_report_json(raw)
    data = json.loads(raw)
    assert data["pares"] is None
    assert data["empresa"]["razon_social"] == HOSTILE_NAME


def test_schema_rejects_broken_documents(sample):
    data = json.loads(build_json(*sample))
    jsonschema.Draft202012Validator.check_schema(report_schema())
    for broken in (
        {**data, "esquema": "brujula-resultado/1.0"},
        {k: v for k, v in data.items() if k != "empresa"},
        {**data, "empresa": {**data["empresa"], "ruc": "123"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate_report_json(broken)
