"""app.stats.frame.paused_collector: no cycle collection inside, no walk over what it made after.

A county's figures are tens of thousands of record dicts: after the block they must not be walked by
the next young collection (they are moved to the oldest generation), a reference cycle made inside
is still freed by a full collection, and objects frozen on purpose (the GUI's worker) stay frozen."""
from __future__ import annotations

import gc
import weakref

from app.stats.frame import paused_collector


class _Node:
    pass


def test_what_the_block_made_leaves_the_young_generation_and_cycles_are_still_freed():
    assert gc.isenabled()
    with paused_collector():
        assert not gc.isenabled()
        records = [{"bands": [i] * 10} for i in range(20000)]
        node = _Node()
        node.self = node  # a cycle, garbage once `node` is dropped
        dead = weakref.ref(node)
        del node
    assert gc.isenabled()
    assert gc.get_count()[0] < 1000  # not 40,000 young objects waiting to be walked
    assert dead() is not None
    gc.collect()
    assert dead() is None and len(records) == 20000


def test_objects_frozen_on_purpose_stay_frozen():
    kept = [_Node() for _ in range(10)]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with paused_collector():
            made = [[i] for i in range(1000)]
        assert gc.get_freeze_count() == frozen and gc.isenabled() and len(made) == len(kept) * 100
    finally:
        gc.unfreeze()


def test_the_collector_stays_off_when_it_was_off_before():
    gc.disable()
    try:
        with paused_collector():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
