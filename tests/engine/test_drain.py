from __future__ import annotations

import gc
import weakref

from engine.drain import drain


class Item:
    pass


def test_drain_yields_in_order_and_empties_the_list() -> None:
    items = [1, 2, 3, 4]
    assert list(drain(items)) == [1, 2, 3, 4]
    assert items == []


def test_each_item_is_freed_before_the_next_is_handed_out() -> None:
    items = [Item() for _ in range(5)]
    refs = [weakref.ref(item) for item in items]
    gc.disable()  # freed by reference counting, not by the collector
    try:
        for position, item in enumerate(drain(items)):
            assert item is refs[position]()
            assert all(ref() is None for ref in refs[:position])
            del item
    finally:
        gc.enable()
    assert all(ref() is None for ref in refs)
