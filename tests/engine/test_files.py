"""Configuration files: YAML or JSON, and a clear ConfigFileError (never a traceback) for anything else."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ConfigFileError
from engine.files import MAX_FILE_BYTES, dump_document, load_document, parse_document


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_yaml_and_json_load(tmp_path: Path) -> None:
    assert load_document(write(tmp_path, "a.yaml", "modelId: a\nstreaming: true\n")) == {
        "modelId": "a",
        "streaming": True,
    }
    assert load_document(write(tmp_path, "a.json", '{"enabled": false}')) == {"enabled": False}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.yaml", "", "the file is empty"),
        ("bad.json", "{enabled: false}", "not valid JSON (line 1, column 2"),
        ("bad.yaml", "a: [1, 2\nb: 3", "not valid YAML or JSON (line"),
        ("alias.yaml", "a: &x [1]\nb: *x\n", "YAML aliases"),
        ("twice.yaml", "a: 1\na: 2\n", "key 'a' appears twice"),
        ("twice.json", '{"a": 1, "a": 2}', "key 'a' appears twice"),
        ("latin1.yaml", b"modelId: caf\xe9\n", "not UTF-8"),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("deep.yaml", "[" * 100_000 + "]" * 100_000, "not valid YAML or JSON"),
    ],
)
def test_bad_files_get_a_clear_error(tmp_path: Path, name: str, content: str | bytes, message: str) -> None:
    with pytest.raises(ConfigFileError) as caught:
        load_document(write(tmp_path, name, content))
    assert message in str(caught.value)
    assert name in str(caught.value)


def test_missing_directory_and_huge_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="no such file"):
        load_document(tmp_path / "missing.yaml")
    with pytest.raises(ConfigFileError, match="not a file"):
        load_document(tmp_path)
    huge = write(tmp_path, "huge.yaml", "a: " + "x" * MAX_FILE_BYTES)
    with pytest.raises(ConfigFileError, match="too large"):
        load_document(huge)


def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "secret.yaml", "a: 1")
    path.chmod(0)
    try:
        if path.stat().st_mode and _can_read(path):
            pytest.skip("running as a user who can read any file (root)")
        with pytest.raises(ConfigFileError, match="cannot read"):
            load_document(path)
    finally:
        path.chmod(0o600)


def _can_read(path: Path) -> bool:
    try:
        path.read_bytes()
    except PermissionError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_config_file_error(text: str) -> None:
    try:
        parse_document(text)
    except ConfigFileError as error:
        assert str(error).startswith("<input>: ")


def test_dump_then_load_round_trips(tmp_path: Path) -> None:
    data = {"modelId": "a", "containerConfig": {"environment": {"A": "1"}}, "features": [{"name": "toolCalls"}]}
    for name in ("out.yaml", "out.json"):
        dump_document(data, tmp_path / name)
        assert load_document(tmp_path / name) == data


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("complex-key.yaml", "? [a, b]\n: 1\n", "line 1: a key must be a plain name, not a list or a mapping"),
        ("long-number.json", '{"maxCapacity": ' + "9" * 5000 + "}", "a number has more than 4300 digits"),
        ("long-number.yaml", "maxCapacity: " + "9" * 5000 + "\n", "a number has more than 4300 digits"),
        ("surrogate-key.json", '{"\\ud800": 1}', "a key: '\\ud800' is not valid Unicode text"),
        ("surrogate-value.json", '{"modelName": "x\\udfff"}', "modelName: 'x\\udfff' is not valid Unicode text"),
    ],
)
def test_documents_that_crashed_validate_get_a_clear_error(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    """Found by generating documents (issue #18): each of these ended `models validate` with a traceback."""
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigFileError) as caught:
        load_document(path)
    assert message in str(caught.value)
    assert name in str(caught.value)
