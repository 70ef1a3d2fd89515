"""An autoScalingInstanceConfig update through LISA's API: written into model_config; applied to the group only when
the model is InService (a Stopped model keeps the values for its next start)."""

from __future__ import annotations

from tests.engine.sandbox.lisa_api.conftest import Api


def test_an_in_service_model_is_resized_at_once(api: Api) -> None:
    model_id = "mistral-7b-instruct"
    change = {"minCapacity": 2, "maxCapacity": 4, "desiredCapacity": 3, "cooldown": 300}
    assert api.call("PUT", f"/models/{model_id}", {"autoScalingInstanceConfig": change})[0] == 200
    group = api.group(model_id)
    assert (group["MinSize"], group["MaxSize"], group["DesiredCapacity"], group["DefaultCooldown"]) == (2, 4, 3, 300)
    execution = api.run_to_end(model_id)
    assert execution.states == ["HandleJobIntake", "HandleFinishUpdate"]
    record = api.record(model_id)
    assert record is not None
    scaling = record["model_config"]["autoScalingConfig"]
    assert (scaling["minCapacity"], scaling["maxCapacity"], scaling["cooldown"]) == (2, 4, 300)
    assert scaling["desiredCapacity"] == 1  # LISA does not persist desiredCapacity
    assert record["model_status"] == "InService"


def test_a_stopped_model_keeps_the_sizes_for_its_next_start(api: Api) -> None:
    model_id = "llama3-8b-tgi"
    before = api.group(model_id)
    assert api.call("PUT", f"/models/{model_id}", {"autoScalingInstanceConfig": {"maxCapacity": 2}})[0] == 200
    api.run_to_end(model_id)
    after = api.group(model_id)
    assert (after["MinSize"], after["MaxSize"], after["DesiredCapacity"]) == (
        before["MinSize"],
        before["MaxSize"],
        before["DesiredCapacity"],
    )
    record = api.record(model_id)
    assert record is not None
    assert record["model_config"]["autoScalingConfig"]["maxCapacity"] == 2
    assert record["model_status"] == "Stopped"
    assert api.call("PUT", f"/models/{model_id}", {"enabled": True})[0] == 200
    group = api.group(model_id)
    assert (group["MinSize"], group["MaxSize"]) == (record["model_config"]["autoScalingConfig"]["minCapacity"], 2)
    api.run_to_end(model_id)
