"""Sessions share one botocore data loader: a second session, with other credentials, parses no service model."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest
from botocore.loaders import JSONFileLoader

from engine.aws.clients import AwsClients
from engine.aws.sessions import new_session, shared_loader
from tests.engine.aws.conftest import REGION


def test_a_second_session_reads_no_service_model_again(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    real_load = JSONFileLoader.load_file

    def counting_load(self: JSONFileLoader, file_path: str) -> Any:
        loaded.append(file_path)
        return real_load(self, file_path)

    monkeypatch.setattr(JSONFileLoader, "load_file", counting_load)
    first = AwsClients(new_session(region_name=REGION, aws_access_key_id="A", aws_secret_access_key="a"), version="1")
    first.ssm()
    first.ecs()

    loaded.clear()
    second = new_session(region_name="eu-west-1", aws_access_key_id="B", aws_secret_access_key="b")
    ssm, ecs = AwsClients(second, version="1").ssm(), AwsClients(second, version="1").ecs()
    assert loaded == []
    assert ssm.meta.region_name == "eu-west-1"
    assert second.get_credentials().access_key == "B"  # type: ignore[union-attr]
    assert first.frozen_credentials().access_key == "A"
    assert ecs.meta.service_model.service_name == "ecs"


def test_the_search_path_holds_boto3s_folder_once_however_many_sessions() -> None:
    for _ in range(5):
        new_session(region_name=REGION)
    paths = shared_loader().search_paths
    assert len(paths) == len(set(paths))
    assert any(path.endswith("boto3/data") for path in paths)


def test_an_unknown_profile_is_refused_when_the_session_is_made(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    with pytest.raises(botocore.exceptions.ProfileNotFound, match="nope"):
        new_session(profile_name="nope", region_name=REGION)


def test_a_session_without_credentials_finds_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "FROM-ENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert new_session(region_name=REGION).get_credentials() is not None
    assert new_session(region_name=REGION, no_credentials=True).get_credentials() is None
