"""The JSON Schemas in docs/schemas/ are the models' own (regenerated here and compared), and they accept
what the models accept and refuse what they refuse."""

from __future__ import annotations

import json

import jsonschema
import pytest

from pgmanager.agent.schemas import schemas
from pgmanager.models import BackendResultMessage, BackendTaskMessage
from tests.conftest import ROOT

FOLDER = ROOT / "docs" / "schemas"


def test_the_files_are_the_models_schemas() -> None:
    expected = schemas()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in FOLDER.glob("*.json")}
    assert on_disk == expected, "docs/schemas is stale: run `pgmanager agent --schemas docs/schemas`"


TASK = {"taskId": "T-1", "type": "optimize-query", "priority": "high",
        "specifications": {"query": {"sql": "select 1", "params": {"a": 1}, "budgetMb": 5, "target": "sandbox"}}}


@pytest.mark.parametrize(("change", "valid"), [
    ({}, True),
    ({"priority": "urgent"}, False),
    ({"taskId": None}, False),
    ({"specifications": {"query": {"budgetMb": 0}}}, False),
    ({"specifications": {"query": {"unknownField": 1}}}, False),
    ({"dependencies": ["T-0"]}, True),
])
def test_schema_and_model_agree_on_a_task(change: dict, valid: bool) -> None:
    message = {**TASK, **change}
    if message.get("taskId") is None:
        message.pop("taskId")
    schema = json.loads((FOLDER / "BackendTaskMessage.json").read_text())
    schema_ok = jsonschema.Draft202012Validator(schema).is_valid(message)
    try:
        BackendTaskMessage.model_validate(message)
        model_ok = True
    except ValueError:
        model_ok = False
    assert (schema_ok, model_ok) == (valid, valid)


def test_a_result_serialises_in_camel_case_and_validates() -> None:
    result = BackendResultMessage.model_validate({"taskId": "T-1", "status": "completed", "performance": {
        "averageResponseTime": 1.5, "p95ResponseTime": 3.0, "throughput": 100.0}})
    data = json.loads(result.model_dump_json(by_alias=True))
    assert data["performance"]["p95ResponseTime"] == 3.0 and "task_id" not in data
    jsonschema.validate(data, json.loads((FOLDER / "BackendResultMessage.json").read_text()))
