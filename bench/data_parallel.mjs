// Data-parallel conv training, prototyped before the page: is a pool of Pyodide workers each
// computing part of every mini-batch's gradient faster than one worker?
//
//   node bench/data_parallel.mjs [--workers 1,2] [--steps 150] [--hidden 30] [--batch 10] [--rounds 2]
//   (needs site/ built: python3 build.py)
//
// Each worker is a Node worker thread with its own Pyodide 0.27.7, numpy and the site's pynn, as
// a Web Worker of the page is. Worker k computes the gradient of its rows of each mini-batch
// (bench/data_parallel_part.py), copies it into its region of a SharedArrayBuffer, waits at a
// barrier (Atomics), sums every region in order 0..n−1 and takes the step; a second barrier
// keeps the regions until all have read them. The user's mini-batch stays the mini-batch.
//
// Prints, per pool size, the median (over rounds, interleaved) of the median ms per step and of
// each part of it (the
// first 10 steps, warm-up, left out) and its ratio to one worker: the projected epoch ratio (an
// epoch is its steps; the test evaluation after it splits across the pool already); the parts
// of worker 0's step (gradient, copy in, barrier waits, reduce + step) and the ratio they give
// on free cores (gradient + copy in + reduce + step ÷ one worker's step: what the barriers cost
// beyond that is the other worker being late, which on a loaded machine is the load),
// the largest gap to one worker's gradient at the same weights (every 10th step, checked by
// worker 0), the final weights' gap to one worker's run, and whether a second run of the
// same size repeats exactly (sha256 of the weights).
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const HERE = dirname(fileURLToPath(import.meta.url));
const SITE = join(resolve(HERE, ".."), "site");
const WARMUP = 10;

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : process.argv[at + 1];
}

async function workerMain() {
  const { k, n, m, steps, hidden, eta, shared, flags } = workerData;
  const { loadPyodide } = await import(join(SITE, "pyodide", "pyodide.mjs"));
  const pyodide = await loadPyodide({ indexURL: join(SITE, "pyodide") + "/" });
  await pyodide.loadPackage(["numpy", "pynn"], { messageCallback: () => {} });
  pyodide.FS.mkdirTree("/data");
  pyodide.FS.writeFile("/data/mnist-train.npz", readFileSync(join(SITE, "data", "mnist-train.npz")));
  pyodide.FS.writeFile("/bench_part.py", readFileSync(join(HERE, "data_parallel_part.py")));
  pyodide.runPython("import sys; sys.path.insert(0, '/')");
  const { Part } = pyodide.pyimport("bench_part");
  const part = Part(k, n, m, steps, hidden, eta);
  const size = part.size;
  const regions = [...Array(n).keys()].map((j) => new Float64Array(shared, j * size * 8, size));
  const pyRegions = pyodide.toPy(regions, { depth: 1 });
  const flag = new Int32Array(flags);
  let waited = [];
  const barrier = () => {
    const started = performance.now();
    const generation = Atomics.load(flag, 1);
    if (Atomics.add(flag, 0, 1) === n - 1) {
      Atomics.store(flag, 0, 0);
      Atomics.add(flag, 1, 1);
      Atomics.notify(flag, 1);
    } else {
      while (Atomics.load(flag, 1) === generation) Atomics.wait(flag, 1, generation);
    }
    waited.push(performance.now() - started);
  };
  barrier(); // every worker up: the clock starts together
  const stepMs = [];
  for (let t = 0; t < steps; t += 1) {
    if (t === WARMUP) {
      part.reset();
      waited = [];
    }
    const started = performance.now();
    if (n === 1) {
      part.one_step(t);
    } else {
      part.partial(t, regions[k]);
      barrier();
      part.reduce_apply(t, pyRegions, k === 0 && t % 10 === 5);
      barrier();
    }
    if (t >= WARMUP && !(n > 1 && k === 0 && t % 10 === 5)) stepMs.push(performance.now() - started);
  }
  const times = part.times.toJs({ dict_converter: Object.fromEntries });
  // two barriers a step: a step's wait is their sum
  waited = waited.filter((_, i) => i % 2 === 0).map((w, i) => w + (waited[2 * i + 1] ?? 0));
  const flat = part.flat_params().toJs();
  parentPort.postMessage({ k, stepMs, times, waited, worst: part.worst, digest: part.digest(), flat, size });
}

function runPool(n, options) {
  const { m, steps, hidden, eta } = options;
  return new Promise((done, failed) => {
    // The regions' size is known once a worker has built the net: generous here (a FC 100 net has
    // 0.29 M parameters), checked below.
    const maxParams = 400_000;
    const shared = new SharedArrayBuffer(n * maxParams * 8);
    const flags = new SharedArrayBuffer(8);
    const results = [];
    for (let k = 0; k < n; k += 1) {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { k, n, m, steps, hidden, eta, shared, flags } });
      worker.on("message", (result) => {
        results.push(result);
        if (results.length === n) done(results.sort((a, b) => a.k - b.k));
      });
      worker.on("error", failed);
    }
  }).then((results) => {
    if (results[0].size > 400_000) throw new Error("more parameters than the bench's regions hold");
    return results;
  });
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const sizes = option("workers", "1,2").split(",").map(Number);
  const options = { m: Number(option("batch", 10)), steps: Number(option("steps", 150)),
                    hidden: Number(option("hidden", 30)), eta: Number(option("eta", 0.1)) };
  const rounds = Number(option("rounds", 2));
  const runs = new Map(sizes.map((n) => [n, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const n of sizes) {
      if (options.m % n) throw new Error(`a mini-batch of ${options.m} does not split in ${n} equal parts`);
      const results = await runPool(n, options);
      runs.get(n).push(results);
      console.error(`round ${round + 1}, ${n} worker(s): ${median(results[0].stepMs).toFixed(1)} ms a step`);
    }
  }
  const one = runs.get(1)?.[0][0];
  const baseline = one && median(runs.get(1).map((r) => median(r[0].stepMs)));
  console.log(`conv net: 20 5×5 filters, FC ${options.hidden}, mini-batch ${options.m}, ${options.steps} steps `
              + `(the first ${WARMUP} left out), η ${options.eta}`);
  console.log("                                 worker 0's ms a step");
  console.log("workers  ms/step    ÷1 gradient  copy in  barriers reduce+step  free-cores÷1  "
              + "max |Δgrad|  max |Δw| end  repeats");
  let oneGradient = null;
  for (const n of sizes) {
    const all = runs.get(n);
    const ms = median(all.map((r) => median(r[0].stepMs)));
    const first = all[0][0];
    const part = (key) => median(all.map((r) => (r[0].times[key].length ? median(r[0].times[key]) * 1000 : 0)));
    const [gradient, copyIn, reduce] = ["gradient", "copy_in", "reduce_apply"].map(part);
    const barriers = median(all.map((r) => (r[0].waited.length ? median(r[0].waited) : 0)));
    oneGradient ??= n === 1 ? gradient : null;
    // On free cores the workers run side by side: a step is one worker's part of the gradient, its
    // copy in and its reduce + step (the barriers then wait only for the other's equal part).
    const onFree = gradient + copyIn + reduce;
    const w0 = new Float64Array(first.flat.buffer, first.flat.byteOffset, first.size);
    let drift = 0;
    if (one) {
      const w1 = new Float64Array(one.flat.buffer, one.flat.byteOffset, one.size);
      for (let i = 0; i < one.size; i += 1) drift = Math.max(drift, Math.abs(w0[i] - w1[i]));
    }
    const repeats = all.every((r) => r.every((each) => each.digest === first.digest));
    const f = (value, width = 8) => value.toFixed(2).padStart(width);
    console.log(`${String(n).padStart(7)} ${f(ms, 8)} ${baseline ? f(ms / baseline, 5) : "    -"} ${f(gradient)} `
                + `${f(copyIn)} ${f(barriers, 9)} ${f(reduce, 11)} ${oneGradient ? f(onFree / oneGradient, 10) : "         -"}  `
                + `${first.worst.toExponential(1).padStart(11)}  ${drift.toExponential(1).padStart(12)}  `
                + `${repeats ? "exactly" : "NO"} (${all.length} runs)`);
  }
  console.log("\nProjected epoch ratio = ms/step ÷ one worker's (an epoch is its steps; the evaluation after it "
              + "splits across the pool already). Overhead a step = copy in + reduce + barrier waits beyond "
              + "the slower worker's gradient.");
}

if (isMainThread) main().catch((error) => {
  console.error(error);
  process.exit(1);
});
else workerMain().catch((error) => {
  console.error(error);
  process.exit(1);
});
