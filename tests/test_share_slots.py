"""A training share's round trip through a slot of shared memory (web/worker/share_slots.js),
run in Node: what the main worker writes is what the pool worker reads, and the pool's answer is
what the main worker reads back, for the slot's whole layout (settings, scale, cost, weights,
rows, targets, gradient). Would catch an offset or a count read wrong, a cost of None that comes
back as a number, or a gradient of the wrong length taken as an answer."""

from __future__ import annotations

import pytest
from node_script import module_specifier, run_module_script

pytestmark = pytest.mark.native  # runs node: not for the in-Pyodide run

SCRIPT = """
import { STATE, Slot } from %(slots)s;
const floats = (n, start) => new Uint8Array(Float64Array.from({ length: n }, (_, i) => start + i / 7).buffer);
const same = (a, b) => a.byteLength === b.byteLength && a.every((value, i) => value === b[i]);
const share = { settings: { architecture: "conv", hidden: [30], note: "é" }, weights: floats(13, 1),
                x: floats(5, 100), y: floats(3, -2), scale: 0.0125, measure_cost: true };
const out = {};
const main = Slot.fitting(share);
out.fitsFresh = main.takes(share);
main.ask(share);
out.asked = main.state === STATE.asked;
out.takesWhileAsked = main.takes(share);
const pool = new Slot(main.buffer);
const args = pool.asked();
out.settings = args.settings;
out.bytes = ["weights", "x", "y"].map((name) => same(args[name], share[name]));
out.scale = args.scale;
out.measureCost = args.measure_cost;
const answered = main.changeFrom(STATE.asked);
const gradient = floats(13, 50);
pool.answer({ gradient, cost: 1.5 });
out.wokenTo = await answered;
const back = main.answered();
out.gradient = same(back.gradient, gradient);
out.cost = back.cost;
main.ask({ ...share, measure_cost: false });
out.secondMeasureCost = pool.asked().measure_cost;
pool.answer({ gradient, cost: null });
out.noCost = main.answered().cost;
main.ask(share);
pool.answer({ gradient: floats(12, 50), cost: 1 });
out.shortGradient = [main.state === STATE.failed, main.answered()];
main.ask(share);
pool.answer(null);
out.failed = [main.state === STATE.failed, main.answered()];
out.biggerFits = main.takes({ ...share, weights: floats(400, 0) });
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def round_trip() -> dict:
    return run_module_script(SCRIPT % {"slots": module_specifier("worker/share_slots.js")})


def test_what_the_main_worker_writes_the_pool_worker_reads(round_trip):
    assert round_trip["fitsFresh"] and round_trip["asked"]
    assert round_trip["settings"] == {"architecture": "conv", "hidden": [30], "note": "é"}
    assert round_trip["bytes"] == [True, True, True]
    assert round_trip["scale"] == 0.0125
    assert round_trip["measureCost"] is True and round_trip["secondMeasureCost"] is False


def test_the_pools_answer_wakes_the_main_worker_and_comes_back_whole(round_trip):
    assert round_trip["wokenTo"] == 2  # STATE.answered
    assert round_trip["gradient"] is True
    assert round_trip["cost"] == 1.5
    assert round_trip["noCost"] is None  # no cost measured: None, not NaN or 0


def test_a_slot_waiting_for_its_answer_or_too_small_is_not_written_over(round_trip):
    assert round_trip["takesWhileAsked"] is False
    assert round_trip["biggerFits"] is False


def test_a_failed_or_misshapen_answer_is_no_answer(round_trip):
    assert round_trip["shortGradient"] == [True, None]  # the main worker then computes the share itself
    assert round_trip["failed"] == [True, None]
