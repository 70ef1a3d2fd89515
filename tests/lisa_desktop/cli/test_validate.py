"""`lisa-desktop --version` and `models validate`: the acceptance cases of issue #2, as a user runs them."""

from __future__ import annotations

import copy
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from lisa_desktop import __version__
from lisa_desktop.cli import run
from tests.engine.factories import hosted_config, third_party_config

VALID_HOSTED = hosted_config(
    modelId="mistral-7b-instruct",
    modelDescription=None,
)
VALID_HOSTED["autoScalingConfig"].update(minCapacity=1, maxCapacity=2)
del VALID_HOSTED["autoScalingConfig"]["desiredCapacity"]


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = run(list(argv), out=out)
    return code, out.getvalue()


def write_yaml(tmp_path: Path, data: Any, name: str = "model.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_version_from_the_real_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lisa_desktop", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    version, log_file = result.stdout.splitlines()
    assert version == f"lisa-desktop {__version__}"
    assert log_file == f"log file: {Path(os.environ['LISA_DESKTOP_LOG_DIR']) / 'lisa-desktop.log'}"


def test_valid_hosted_create_file(tmp_path: Path) -> None:
    code, out = cli("models", "validate", write_yaml(tmp_path, VALID_HOSTED))
    assert code == 0
    assert out.strip().endswith("valid create request (detected): lisa_hosted model 'mistral-7b-instruct'")


def mutate(path: str, value: Any) -> dict[str, Any]:
    config = copy.deepcopy(VALID_HOSTED)
    target = config
    *parents, last = path.split(".")
    for part in parents:
        target = target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return config


_DELETE = object()


@pytest.mark.parametrize(
    ("config", "expected_line"),
    [
        (mutate("autoScalingConfig.maxCapacity", 0), "autoScalingConfig.maxCapacity: must be greater than 0"),
        (
            mutate("autoScalingConfig.minCapacity", 3),
            "autoScalingConfig.minCapacity: must be less than or equal to maxCapacity (3 > 2)",
        ),
        (
            mutate("containerConfig.healthCheckConfig.command", ["curl", "x"]),
            'containerConfig.healthCheckConfig.command: a list command must start with "CMD" or "CMD-SHELL"',
        ),
        (
            {k: v for k, v in VALID_HOSTED.items() if k not in ("instanceType", "loadBalancerConfig")},
            "instanceType: is required for a LISA-hosted model",
        ),
        (
            third_party_config(modelType="embedding", streaming=True, features=[]),
            "streaming: embedding models cannot stream; set streaming to false",
        ),
    ],
    ids=["max-zero", "min-above-max", "health-check-form", "three-of-five", "embedding-streams"],
)
def test_invalid_create_files_name_the_field(tmp_path: Path, config: dict[str, Any], expected_line: str) -> None:
    code, out = cli("models", "validate", write_yaml(tmp_path, config))
    assert code == 2
    assert any(line.startswith(expected_line) for line in out.splitlines()), out
    assert "invalid create request" in out.splitlines()[-1]


def test_update_file_mixing_start_stop_and_scaling(tmp_path: Path) -> None:
    path = tmp_path / "update.json"
    path.write_text(json.dumps({"enabled": False, "autoScalingInstanceConfig": {"minCapacity": 1}}))
    code, out = cli("models", "validate", str(path))
    assert code == 2
    assert out.splitlines()[0].startswith("enabled: start/stop cannot be combined with autoScalingInstanceConfig")
    assert out.splitlines()[-1] == f"{path}: invalid update request (detected): 1 problem"


def test_kind_can_be_forced(tmp_path: Path) -> None:
    code, out = cli("models", "validate", "--kind", "create", write_yaml(tmp_path, {"enabled": True}))
    assert code == 2
    assert "modelId: is required" in out


def test_json_output(tmp_path: Path) -> None:
    code, out = cli("models", "validate", "--json", write_yaml(tmp_path, mutate("autoScalingConfig.maxCapacity", 0)))
    assert code == 2
    assert json.loads(out) == {
        "valid": False,
        "kind": "create",
        "problems": [{"field": "autoScalingConfig.maxCapacity", "rule": "must be greater than 0"}],
        "warnings": [],
    }


def test_examples_shipped_with_the_repo_are_valid(examples: Path) -> None:
    for path in sorted(examples.glob("*.yaml")):
        code, out = cli("models", "validate", str(path))
        assert code == 0, out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"- just\n- a list\n", "must be a mapping of fields, not a list"),
        (b"\x00\xff\xfe", "not UTF-8 text"),
        (b"a: [", "not valid YAML or JSON"),
        (b"plain text", "must be a mapping of fields, not text"),
    ],
)
def test_bad_files_exit_2_without_a_traceback(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "lisa_desktop", "models", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_missing_and_huge_files_exit_2(tmp_path: Path) -> None:
    code, _ = cli("models", "validate", str(tmp_path / "nope.yaml"))
    assert code == 2
    huge = tmp_path / "huge.json"
    huge.write_text('{"a": "' + "x" * (2 * 1024 * 1024) + '"}')
    code, _ = cli("models", "validate", str(huge))
    assert code == 2


def test_lisas_own_model_objects_validate_as_create_and_update_and_import_as_create_drafts(tmp_path: Path) -> None:
    """Each seeded model as LISA's `GET /models` returns it (`LISAModel`: no apiKey, every field, nulls, `status`,
    `modelUrl`, `contextWindow`, `guardrailsConfig` from the guardrails table): a file exported from LISA validates
    (exit 0, warnings allowed) as a create and as an update request, and imports as a create draft."""
    from boto3.dynamodb.types import TypeDeserializer

    from engine.drafts.files import import_draft
    from engine.drafts.store import DraftKind, DraftStore
    from engine.sandbox.server import Sandbox
    from tests.engine.lisa_get_models import lisa_model

    deserialize = TypeDeserializer().deserialize
    with Sandbox(ambient=False) as sandbox:
        dynamodb = sandbox.client("dynamodb")
        items = [
            {k: deserialize(v) for k, v in item.items()}
            for item in dynamodb.scan(TableName=sandbox.table_name)["Items"]
        ]
        (guardrails_table,) = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("GuardrailsTable")]
        rows = [
            {k: deserialize(v) for k, v in row.items()} for row in dynamodb.scan(TableName=guardrails_table)["Items"]
        ]
    assert len(items) >= 10
    objects = {
        str(item["model_id"]): lisa_model(item, [r for r in rows if r["modelId"] == item["model_id"]]) for item in items
    }
    with_guardrails = [model_id for model_id, shape in objects.items() if shape["guardrailsConfig"]]
    assert with_guardrails, "a seeded model has guardrails rows"
    assert all("apiKey" not in shape and shape["status"] for shape in objects.values())
    store = DraftStore(tmp_path / "drafts.db")
    for model_id, shape in objects.items():
        path = tmp_path / f"{model_id}.json"
        path.write_text(json.dumps(shape))
        for kind in ("create", "update"):
            code, out = cli("models", "validate", "--kind", kind, str(path))
            assert code == 0, (model_id, kind, out)
        code, out = cli("models", "validate", str(path))
        assert "warning: status: unknown field (not part of LISA's CreateModelRequest): ignored, not sent" in out
        draft = import_draft(path, store)
        assert draft.kind is DraftKind.CREATE and draft.model_id == model_id


def test_unknown_fields_of_an_invalid_request_are_warnings_not_problems(tmp_path: Path) -> None:
    """LISA's API ignores unknown fields also in a request it refuses for another reason: named as warnings (one may
    be the typo behind a problem), never counted as problems."""
    config = mutate("autoScalingConfig.maxCapacity", 0)
    config["maxCapacty"] = 3
    config["autoScalingConfig"]["surplus"] = True
    path = write_yaml(tmp_path, config)
    code, out = cli("models", "validate", path)
    assert code == 2
    assert out.splitlines() == [
        "autoScalingConfig.maxCapacity: must be greater than 0",
        "warning: autoScalingConfig.surplus: unknown field (not part of LISA's CreateModelRequest): ignored, not sent",
        "warning: maxCapacty: unknown field (not part of LISA's CreateModelRequest): ignored, not sent",
        f"{path}: invalid create request (detected): 1 problem",
    ]
    code, out = cli("models", "validate", "--json", path)
    assert code == 2
    rule = "unknown field (not part of LISA's CreateModelRequest): ignored, not sent"
    assert json.loads(out) == {
        "valid": False,
        "kind": "create",
        "problems": [{"field": "autoScalingConfig.maxCapacity", "rule": "must be greater than 0"}],
        "warnings": [{"field": "autoScalingConfig.surplus", "rule": rule}, {"field": "maxCapacty", "rule": rule}],
    }


def test_unknown_fields_of_a_valid_request_are_warnings_in_json_too(tmp_path: Path) -> None:
    config = copy.deepcopy(VALID_HOSTED)
    config["maxCapacty"] = 3
    code, out = cli("models", "validate", "--json", write_yaml(tmp_path, config))
    assert code == 0
    shown = json.loads(out)
    assert shown["valid"] is True and shown["problems"] == []
    assert shown["warnings"] == [
        {"field": "maxCapacty", "rule": "unknown field (not part of LISA's CreateModelRequest): ignored, not sent"}
    ]
