"""Benchmark: the drafts file as the window uses it (issue #7): an autosave of a large configuration, and the
list of 500 drafts the drafts panel shows.

Run: .venv/bin/python -m tests.bench.bench_drafts [ROUNDS]   (default 200)

Prints the median and 95th percentile of `DraftStore.save` of an update draft (config and base) of a typical
hosted model and of a large one (200 environment variables), and of `DraftStore.list` and `DraftStore.get` (by
an 8-character prefix) with 500 such drafts in the file. Target: a save under 5 ms.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.drafts.store import DraftKind, DraftStore
from engine.sandbox.catalog import hosted

DRAFTS = 500


def typical_config() -> dict[str, Any]:
    return hosted(
        "bench-model",
        "mistralai/Mistral-7B-Instruct-v0.2",
        container="vllm",
        instance_type="g5.xlarge",
        description="Mistral 7B Instruct v0.2 on vLLM: the general-purpose chat model for every team.",
        environment={"MAX_MODEL_LEN": "8192", "MAX_TOTAL_TOKENS": "4096", "DTYPE": "float16"},
        features=[{"name": "summarization", "overview": "Short documents."}, {"name": "toolCalls", "overview": ""}],
        allowed_groups=["engineering", "research"],
    )


def large_config() -> dict[str, Any]:
    environment = {f"VARIABLE_{index:03d}": "x" * 60 for index in range(200)}
    return hosted(
        "bench-model",
        "mistralai/Mistral-7B-Instruct-v0.2",
        container="vllm",
        instance_type="g5.xlarge",
        description="d" * 2000,
        environment=environment,
        features=[{"name": "summarization", "overview": "o" * 500}],
        allowed_groups=[f"group-{index}" for index in range(50)],
    )


def timed(action: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{name:<48} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms   ({len(samples)} rounds)")


def one_size(label: str, config: dict[str, Any], rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = DraftStore(Path(folder) / "drafts.sqlite3")
        base = {**config, "status": "InService"}
        draft = store.create(DraftKind.UPDATE, copy.deepcopy(config), base=base)
        size = len(json.dumps(draft.config)) + len(json.dumps(draft.base))

        def save() -> None:
            store.save(dataclasses.replace(draft, config={**draft.config, "modelDescription": str(time.time())}))

        print(f"{label} update draft: config + base = {size / 1024:.1f} KB of JSON")
        report("  save", timed(save, rounds))
        for index in range(DRAFTS - 1):
            store.create(DraftKind.UPDATE, {**config, "modelId": f"model-{index}"}, base=base)
        report(f"  list ({DRAFTS} drafts)", timed(store.list, max(5, rounds // 20)))
        report(f"  get by 8-character prefix ({DRAFTS} drafts)", timed(lambda: store.get(draft.draft_id[:8]), rounds))
        report(f"  save with {DRAFTS} drafts in the file", timed(save, rounds))


def main(rounds: int) -> None:
    one_size("typical", typical_config(), rounds)
    one_size("large (200 environment variables, 2 KB description)", large_config(), rounds)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
