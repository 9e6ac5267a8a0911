"""Nielsen's chapter-1 run in the page, next to the same seeded run natively: test accuracy per epoch.

    .venv/bin/python bench/browser_accuracy.py [--epochs 30] [--seed 0] [--no-build]

[784, 30, 10], quadratic cost, standard init, mini-batch 10, η 3.0, λ 0, all 50,000 training
images, evaluated on the 10,000 test images after every epoch.  The page is driven through its
form (with the harness bench/browser_epoch.py uses) and its accuracy element is read after each epoch; the
native run is what the page's worker does (pynn.page.browser.Session.start_training: Network(sizes,
seed=seed), whose generator also shuffles, and a Trainer over the first train_size samples),
with this checkout's pynn.  Prints both per epoch side by side, the largest difference, and the
largest difference of the final weights; writes bench/results/browser_accuracy.json.

pynn's kernel computes the first layer's product with einsum in Pyodide (no BLAS there) and with
matmul natively: the same sums in a different order.  SGD amplifies such last-bit differences, so
the runs may part after a few epochs; ``--native-product einsum`` makes the native run use einsum
too, to tell that apart from a real difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from browser_bench import RESULTS, ROOT
from browser_bench.common import INIT_SCRIPT, VIEWPORT, build_site, launch, note, site_matches_checkout, visit
from browser_bench.epoch import max_difference, native_run, page_model, train_in_page
from harness.monitor import Monitor
from harness.server import serving


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=30, help="epochs (default 30, Nielsen's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of both runs (default 0)")
    parser.add_argument("--no-build", action="store_true", help="reuse site/ as it is")
    parser.add_argument("--native-product", choices=["default", "einsum", "matmul"], default="default",
                        help="natively, compute the first layer's product this way (default: as pynn does natively, "
                             "matmul; einsum is what pynn uses in Pyodide)")
    parser.add_argument("--output", type=Path, default=RESULTS / "browser_accuracy.json")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from buildtools.server import make_server

    results: dict = {"settings": {"sizes": [784, 30, 10], "cost": "quadratic", "init": "standard", "minibatch": 10,
                                  "eta": 3.0, "lmbda": 0.0, "train_size": 50_000, "epochs": args.epochs,
                                  "seed": args.seed, "native_product": args.native_product}}
    with tempfile.TemporaryDirectory(prefix="pynn-bench-") as tmp, sync_playwright() as playwright:
        site = build_site(not args.no_build, Path(tmp) / "site")
        results["site_matches_checkout"] = site_matches_checkout(site)
        if results["site_matches_checkout"] is False:
            note("WARNING: site/'s pynn wheel differs from this checkout's pynn/ (rebuild with python3 build.py)")
        with serving(make_server("127.0.0.1", 0, site)) as url:
            monitor = Monitor(None, url.rstrip("/"), intercept=False)  # watched, not intercepted
            browser = launch(playwright)
            context = browser.new_context(viewport=VIEWPORT)
            monitor.watch(context)
            context.add_init_script(INIT_SCRIPT)
            page, record = visit(context, url)
            note(f"Chromium {browser.version}: page ready in {record['ready_s']:.1f} s; training {args.epochs} "
                 f"epoch(s) in the page …")
            shown = [0]

            def progress(marks) -> None:
                texts = page.evaluate("n => window.__bench.accuracies.slice(n).map((a) => a.text)", marks["accuracies"])
                for text in texts[shown[0]:]:
                    shown[0] += 1
                    note(f"  page, epoch {shown[0]}: {text}")

            run = train_in_page(page, args.seed, epochs=args.epochs, timeout=args.epochs * 600.0, on_wait=progress)
            browser_params = page_model(page)
            browser.close()

    note("natively …")
    if args.native_product != "default":
        import numpy as np

        from pynn.nets import kernel

        kernel.input_product = kernel.einsum_product if args.native_product == "einsum" else np.matmul
    network, trainer = native_run(args.seed, args.epochs)
    native, native_elapsed = [], []
    start = time.perf_counter()
    for record in trainer.each_epoch():
        native.append(record.accuracy)
        native_elapsed.append(record.elapsed)
        note(f"  native, epoch {len(native)}: {record.accuracy:.4f}")
    native_wall = time.perf_counter() - start
    native_params = network.weights + network.biases

    browser_acc = [float(text) for text in run["accuracies"]]
    rows = max(len(browser_acc), len(native))
    differences = [abs(b - n) for b, n in zip(browser_acc, native)]
    weights = max_difference(browser_params, native_params)
    note(f"\n{'epoch':>5}  {'browser':>8}  {'native':>8}  {'|Δ|':>7}  {'browser Σs':>10}  {'native Σs':>9}")
    for i in range(rows):
        b = f"{browser_acc[i]:.4f}" if i < len(browser_acc) else "–"
        n = f"{native[i]:.4f}" if i < len(native) else "–"
        d = f"{differences[i]:.4f}" if i < len(differences) else "–"
        bs = run["epochElapsed"][i] if i < len(run["epochElapsed"]) else None
        ns = native_elapsed[i] if i < len(native_elapsed) else None
        note(f"{i + 1:>5}  {b:>8}  {n:>8}  {d:>7}  {'–' if bs is None else f'{bs:.1f}':>10}  "
             f"{'–' if ns is None else f'{ns:.1f}':>9}")
    identical = sum(d == 0 for d in differences)
    note(f"\nmax |Δ accuracy| {max(differences, default=float('nan')):.4f}; identical in {identical} of "
         f"{len(differences)} epochs; final weights and biases: max |Δ| {weights:.3g}")
    best = max(browser_acc, default=float("nan")), max(native, default=float("nan"))
    note(f"best: browser {best[0]:.4f}, native {best[1]:.4f}; "
         f"training time: browser {run['elapsed']:.1f} s (wall {run['wall_s']:.1f} s), native "
         f"{trainer.elapsed:.1f} s (wall {native_wall:.1f} s)")
    note(f"requests to hosts other than 127.0.0.1: {len(monitor.foreign)}; page errors: {len(monitor.errors)}"
         f"{'  ' + str(monitor.errors[:3]) if monitor.errors else ''}")
    results.update({
        "browser_accuracy": browser_acc, "native_accuracy": native,
        "max_accuracy_difference": max(differences, default=None), "identical_epochs": identical,
        "max_weight_difference": weights,
        "browser_elapsed_per_epoch_s": run["epochElapsed"], "native_elapsed_per_epoch_s": native_elapsed,
        "browser_training_s": run["elapsed"], "browser_wall_s": run["wall_s"], "native_training_s": trainer.elapsed,
        "foreign_requests": monitor.foreign[:20], "page_errors": monitor.errors[:20],
    })
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1))
    note(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    sys.exit(main())
