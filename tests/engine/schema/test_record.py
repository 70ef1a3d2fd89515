from __future__ import annotations

from engine.schema.enums import ModelHostingType, ModelStatus
from engine.schema.record import ModelRecord, hosting_type_of
from tests.engine.factories import hosted_config, record, third_party_config


def test_api_shape_is_config_plus_status_url_and_context_window() -> None:
    model = record(hosted_config(), "Stopped", model_url="http://alb/v1", context_window=8192, failure_reason="x")
    api = model.to_api()
    assert api["status"] == "Stopped"
    assert api["modelUrl"] == "http://alb/v1"
    assert api["contextWindow"] == 8192
    assert "failureReason" not in api
    assert "failure_reason" not in api
    assert api["modelId"] == "mistral-7b-instruct"


def test_hosting_type_follows_lisas_five_field_rule() -> None:
    assert record(hosted_config()).hosting_type is ModelHostingType.LISA_HOSTED
    assert record(third_party_config()).hosting_type is ModelHostingType.THIRD_PARTY
    assert hosting_type_of({"hostingType": "internal_hosted"}) is ModelHostingType.INTERNAL_HOSTED
    partial = hosted_config()
    del partial["loadBalancerConfig"]
    assert hosting_type_of(partial) is ModelHostingType.THIRD_PARTY


def test_a_record_breaking_todays_rules_is_still_readable() -> None:
    config = hosted_config()
    config["autoScalingConfig"]["minCapacity"] = 0
    config["containerConfig"]["healthCheckConfig"]["command"] = "curl -f localhost"
    model = ModelRecord.from_item({"model_id": "old", "model_status": "InService", "model_config": config})
    assert model.model_status is ModelStatus.IN_SERVICE
    assert model.to_item()["model_config"]["autoScalingConfig"]["minCapacity"] == 0
