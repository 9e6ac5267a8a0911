"""A conv net's training shared with the pool when "workers" is pinned (issue 16: data-parallel
steps, web/worker/shares.js, pynn.page.shared_steps), seen from the page: on two workers it is
pynn's native one-worker run to 1e-9, the page says where it ran, a second run repeats the first
bit for bit even when the pool's worker is killed mid-run (its shares fall to the main worker,
with the same bits), its shares travel in shared memory where the page is cross-origin isolated
and as messages where it is not, Stop ends a shared run with the page usable, and on "auto" a run trains on
one worker."""

from __future__ import annotations

import numpy as np
from harness.app import by_id, model_json, poll, start_app
from harness.digits import STROKES
from harness.drawing import clear_pad, draw
from harness.forms import fill_settings
from harness.predictions import wait_prediction
from harness.training import count_share_traffic, native_run, train
from playwright.sync_api import expect

from pynn.files import modelfile

RUN_TIMEOUT = 300_000  # ms, on a busy 2-core machine
# 800 steps: long enough for the pool's worker to start and join on a busy machine
SHARED = {"architecture": "conv", "hidden": [30], "cost": "quadratic", "init": "standard", "epochs": 1,
          "minibatch_size": 10, "eta": 0.1, "lmbda": 0.5, "train_size": 8000, "seed": 5, "augment": "on"}
STEPS = SHARED["train_size"] // SHARED["minibatch_size"]
POOL_WORKERS = "() => window.pynnApp.workers.pool.workers.length"
PROGRESS = "() => ({...document.querySelector('[data-testid=progress]').dataset})"


def params(page) -> list[np.ndarray]:
    return [p for layer in modelfile.loads(model_json(page, "yours")).layers for p in layer.params]


def two_workers_run(page) -> tuple[list[np.ndarray], dict]:
    """A shared run on two workers, checked against pynn's one-worker run natively (the oracle):
    its parameters, and how its shares travelled."""
    by_id(page, "workers").select_option("2")
    traffic = count_share_traffic(page)
    final = train(page, SHARED, timeout=RUN_TIMEOUT)
    assert final["done"] == "true"
    assert "on 2 workers" in page.locator("#train-message").inner_text()
    assert 0 < int(final["poolShares"]) <= STEPS  # the pool's worker did compute shares (one a step at most)
    ours = params(page)
    _, native = native_run(SHARED)
    for mine, theirs in zip(ours, [p for layer in native.layers for p in layer.params]):
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=1e-9)
    return ours, traffic()


def test_two_workers_train_pynns_run_to_rounding_and_repeat_it_exactly_with_a_worker_killed(app):
    """Served cross-origin isolated (as build.py serve does), the shares travel in shared memory:
    would catch shares.js sending them as messages there, or reading a slot wrong."""
    page = app.page
    assert page.evaluate("crossOriginIsolated")
    first, traffic = two_workers_run(page)
    assert traffic["messages"] == 0 and traffic["slots"] >= 1

    # Again, with the pool's worker killed once it has joined: the same bits.
    fill_settings(page, SHARED)
    by_id(page, "train").click()
    poll(page, f"() => ({POOL_WORKERS})() === 1 && +({PROGRESS})().batch > 20", timeout=RUN_TIMEOUT / 1000,
         interval=0.05)
    at_kill = page.evaluate(PROGRESS)
    page.evaluate("() => { window.pynnApp.workers.pool.workers[0].request('crash', { kind: 'error' })"
                  ".catch(() => {}); }")
    expect(by_id(page, "progress")).to_have_attribute("data-done", "true", timeout=RUN_TIMEOUT)
    assert at_kill["done"] == "false" and int(at_kill["batch"]) < STEPS  # killed mid-run, not after
    killed = page.evaluate(PROGRESS)
    assert int(killed["poolShares"]) < STEPS  # the main worker computed the rest
    assert page.evaluate(POOL_WORKERS) == 0
    for a, b in zip(first, params(page)):
        assert np.array_equal(a, b)  # bit for bit
    assert page.locator("[data-testid=status]").get_attribute("data-state") != "error"
    app.monitor.assert_clean()


def test_where_memory_cannot_be_shared_the_shares_travel_as_messages_to_the_same_run(context, fresh_server):
    """A host that cannot set COOP/COEP: the page is not isolated, and the shares go as messages,
    with the same result: would catch a page that needs shared memory to train on the pool."""
    server = fresh_server(isolated=False)
    app = start_app(context, server.url, server.origin)
    assert not app.page.evaluate("crossOriginIsolated")
    _, traffic = two_workers_run(app.page)
    assert traffic["messages"] >= 1 and traffic["slots"] == 0
    app.monitor.assert_clean()


def test_stop_ends_a_shared_run_and_the_page_goes_on(app):
    page = app.page
    by_id(page, "workers").select_option("2")
    fill_settings(page, SHARED, train_size=50_000, epochs=3)
    by_id(page, "train").click()
    poll(page, f"() => ({POOL_WORKERS})() === 1", timeout=RUN_TIMEOUT / 1000, interval=0.1)
    page.evaluate("() => window.pynnApp.workers.pool.workers[0].ready.then(() => {})")  # its Python is up
    then = int(page.evaluate(PROGRESS)["batch"])
    poll(page, f"() => +({PROGRESS})().batch > {then + 100}", timeout=RUN_TIMEOUT / 1000, interval=0.1)
    by_id(page, "stop").click()
    expect(by_id(page, "progress")).to_have_attribute("data-stopped", "true", timeout=RUN_TIMEOUT)
    assert "Stopped in epoch 1" in page.locator("#train-message").inner_text()
    stopped = page.evaluate(PROGRESS)
    assert 0 < int(stopped["poolShares"]) and stopped["done"] == "false"
    clear_pad(page)
    draw(page, STROKES[7])
    assert len(wait_prediction(page).probabilities) == 10  # the page still reads a drawing
    app.monitor.assert_clean()


def test_on_auto_a_conv_net_trains_on_one_worker(app):
    """Sharing measured slower on this 2-core machine (bench/shared_epoch.py), so "auto" keeps
    training on the main worker: would catch the pool's size offered to every run."""
    page = app.page
    assert by_id(page, "workers").input_value() == "auto"
    final = train(page, SHARED, train_size=1000, timeout=RUN_TIMEOUT)
    assert final["poolShares"] == "0" and "on one worker" in page.locator("#train-message").inner_text()
    assert page.evaluate(POOL_WORKERS) == 0
    app.monitor.assert_clean()
