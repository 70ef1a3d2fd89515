"""A `modelUrl` that is not a string (issue #18: an AttributeError in urlparse crashed `models validate` and
`models create`): refused with exit 2, naming modelUrl, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

INTERNAL = {"modelId": "m", "modelName": "openai/x", "modelType": "textgen", "hostingType": "internal_hosted"}


def _lisa_desktop(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lisa_desktop", *argv], capture_output=True, text=True, check=False, timeout=120
    )


NOT_TEXT = "modelUrl: must be a string"
NOT_UPDATE = "warning: modelUrl: unknown field (not part of LISA's UpdateModelRequest)"


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"modelUrl": 5}, NOT_UPDATE),  # an update request: not one of its fields, and nothing else to change
        ({**INTERNAL, "modelUrl": 5}, NOT_TEXT),
        ({**INTERNAL, "modelUrl": ["http://a"]}, NOT_TEXT),
        ({**INTERNAL, "modelUrl": {"url": "http://a"}}, NOT_TEXT),
        ({k: v for k, v in INTERNAL.items() if k != "hostingType"} | {"modelUrl": 5}, NOT_TEXT),
    ],
    ids=["update-int", "create-int", "create-list", "create-mapping", "third-party-int"],
)
def test_validate_refuses_a_model_url_that_is_not_text(tmp_path: Path, document: dict[str, Any], named: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(document))
    result = _lisa_desktop("models", "validate", str(path))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert named in result.stdout


def test_create_refuses_a_model_url_that_is_not_text_before_any_call(tmp_path: Path) -> None:
    path = tmp_path / "create.json"
    path.write_text(json.dumps({**INTERNAL, "modelUrl": 5}))
    for extra in ((), ("--dry-run",)):
        result = _lisa_desktop("models", "create", str(path), *extra)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "modelUrl: must be a string" in result.stderr
