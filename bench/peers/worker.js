// Bench only (conv-* peers: conv.js): one peer's epoch of [784, 30, 10] (sigmoid, quadratic cost C = ½‖a − y‖²,
// plain SGD with Nielsen's mean-gradient step η = 3.0, mini-batch 10) on MNIST, in a dedicated
// worker like the site's Python. A classic worker, so the peers' UMD bundles load with importScripts.
//
// Every peer starts from the same N(0, 1) weights and biases ("standard" init) and visits the
// samples in the same shuffled order, both drawn from one seeded generator. Like pynn, each
// converts the uint8 pixels to pixel/256 floats batch by batch inside the timed loop, except
// TensorFlow.js, which gets its whole training set as one float32 tensor before the clock starts
// (the way it is normally fed). Timed: the epoch only; the test accuracy afterwards is a check
// that the peer really learned (≈ 0.9 after one epoch with this setting; a broken one gives ≈ 0.1).
"use strict";

const N_IN = 784;
const N_OUT = 10;
const MODULES = "node_modules/";
let tfLoaded = false;
let convnetLoaded = false;

// --- shared set-up: data, seeded generator, initial parameters, order -------------------------

async function fetchBytes(path) {
  const response = await fetch(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function loadData() {
  const [trainX, trainY, testX, testY] = await Promise.all(
    ["train-images", "train-labels", "test-images", "test-labels"].map((name) => fetchBytes(`data/${name}.u8`)));
  return { trainX, trainY, testX, testY };
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random) {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** N(0, 1) weights (row-major, n_out × n_in) and biases, like network.py's default init. */
function initialParameters(hidden, random) {
  const normal = (n) => Float64Array.from({ length: n }, () => gaussian(random));
  return { b1: normal(hidden), b2: normal(N_OUT), W1: normal(hidden * N_IN), W2: normal(N_OUT * hidden) };
}

function shuffled(count, random) {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

// --- plain JavaScript, straightforward: network.py's per-sample backprop, line by line -------

function trainPlain(data, init, order, { hidden, batch, eta }) {
  const sizes = [N_IN, hidden, N_OUT];
  const rows = (flat, n, m) => Array.from({ length: n }, (_, j) => flat.slice(j * m, (j + 1) * m));
  const weights = [rows(init.W1, hidden, N_IN), rows(init.W2, N_OUT, hidden)];
  const biases = [init.b1.slice(), init.b2.slice()];
  const images = data.trainX;
  const labels = data.trainY;

  function backprop(x, label) {
    const activations = [x];
    const zs = [];
    let a = x;
    for (let l = 0; l < 2; l++) {
      const z = new Float64Array(sizes[l + 1]);
      for (let j = 0; j < z.length; j++) {
        let sum = biases[l][j];
        for (let k = 0; k < a.length; k++) sum += weights[l][j][k] * a[k];
        z[j] = sum;
      }
      zs.push(z);
      a = z.map(sigmoid);
      activations.push(a);
    }
    const nablaB = [new Float64Array(hidden), new Float64Array(N_OUT)];
    const nablaW = [rows(new Float64Array(hidden * N_IN), hidden, N_IN), rows(new Float64Array(N_OUT * hidden), N_OUT, hidden)];
    let delta = a.map((aj, j) => (aj - (j === label ? 1 : 0)) * aj * (1 - aj));
    for (let l = 1; l >= 0; l--) {
      const input = activations[l];
      for (let j = 0; j < delta.length; j++) {
        nablaB[l][j] = delta[j];
        for (let k = 0; k < input.length; k++) nablaW[l][j][k] = delta[j] * input[k];
      }
      if (l > 0) {
        const previous = new Float64Array(sizes[l]);
        for (let k = 0; k < previous.length; k++) {
          let sum = 0;
          for (let j = 0; j < delta.length; j++) sum += weights[l][j][k] * delta[j];
          const s = sigmoid(zs[l - 1][k]);
          previous[k] = sum * s * (1 - s);
        }
        delta = previous;
      }
    }
    return { nablaB, nablaW };
  }

  for (let start = 0; start < order.length; start += batch) {
    const end = Math.min(start + batch, order.length);
    const sumB = biases.map((b) => new Float64Array(b.length));
    const sumW = weights.map((w) => w.map((row) => new Float64Array(row.length)));
    for (let s = start; s < end; s++) {
      const i = order[s];
      const x = new Float64Array(N_IN);
      for (let p = 0; p < N_IN; p++) x[p] = images[i * N_IN + p] / 256;
      const { nablaB, nablaW } = backprop(x, labels[i]);
      for (let l = 0; l < 2; l++) {
        for (let j = 0; j < sumB[l].length; j++) {
          sumB[l][j] += nablaB[l][j];
          for (let k = 0; k < sumW[l][j].length; k++) sumW[l][j][k] += nablaW[l][j][k];
        }
      }
    }
    const step = eta / (end - start);
    for (let l = 0; l < 2; l++) {
      for (let j = 0; j < biases[l].length; j++) {
        biases[l][j] -= step * sumB[l][j];
        for (let k = 0; k < weights[l][j].length; k++) weights[l][j][k] -= step * sumW[l][j][k];
      }
    }
  }
  const flat = (matrix) => Float64Array.from(matrix.flatMap((row) => Array.from(row)));
  return { W1: flat(weights[0]), b1: biases[0], W2: flat(weights[1]), b2: biases[1] };
}

// --- plain JavaScript, hand-optimised: flat Float64Arrays, no allocation in the loop,
// 4-way unrolled inner loops with separate accumulators, and the weight gradient fused into
// the update (one pass over W1 per mini-batch instead of one per sample plus one to apply). ----

/** The output layer's forward pass and both layers' deltas for a batch of m hidden rows A1
 * (σ′(z) = a(1 − a)); shared by the two hand-written JavaScript peers. */
function outputLayer(m, labels, order, start, A1, W2, b2, D2, D1, H) {
  for (let s = 0; s < m; s++) {
    const label = labels[order[start + s]];
    const a = s * H;
    for (let k = 0; k < N_OUT; k++) {
      const w = k * H;
      let z = b2[k];
      for (let j = 0; j < H; j++) z += W2[w + j] * A1[a + j];
      const out = 1 / (1 + Math.exp(-z));
      D2[s * N_OUT + k] = (out - (k === label ? 1 : 0)) * out * (1 - out);
    }
    for (let j = 0; j < H; j++) {
      let sum = 0;
      for (let k = 0; k < N_OUT; k++) sum += W2[k * H + j] * D2[s * N_OUT + k];
      const h = A1[a + j];
      D1[a + j] = sum * h * (1 - h);
    }
  }
}

/** W2, b2 −= step · their gradients (after the deltas used the old W2). */
function updateOutputLayer(m, step, A1, W2, b2, D2, H) {
  for (let k = 0; k < N_OUT; k++) {
    let gb = 0;
    for (let s = 0; s < m; s++) {
      const d = step * D2[s * N_OUT + k];
      gb += d;
      const w = k * H;
      const a = s * H;
      for (let j = 0; j < H; j++) W2[w + j] -= d * A1[a + j];
    }
    b2[k] -= gb;
  }
}

function trainUnrolled(data, init, order, { hidden, batch, eta }) {
  const H = hidden;
  const W1 = init.W1.slice();
  const b1 = init.b1.slice();
  const W2 = init.W2.slice();
  const b2 = init.b2.slice();
  const X = new Float64Array(batch * N_IN); // the mini-batch's inputs, one row per sample
  const A1 = new Float64Array(batch * H);
  const D1 = new Float64Array(batch * H); // hidden deltas
  const D2 = new Float64Array(batch * N_OUT); // output deltas
  const coefficient = new Float64Array(batch);
  const images = data.trainX;
  const labels = data.trainY;
  const inv256 = 1 / 256;

  for (let start = 0; start < order.length; start += batch) {
    const m = Math.min(batch, order.length - start);
    for (let s = 0; s < m; s++) {
      const base = order[start + s] * N_IN;
      const row = s * N_IN;
      for (let p = 0; p < N_IN; p += 4) {
        X[row + p] = images[base + p] * inv256;
        X[row + p + 1] = images[base + p + 1] * inv256;
        X[row + p + 2] = images[base + p + 2] * inv256;
        X[row + p + 3] = images[base + p + 3] * inv256;
      }
    }
    // Hidden layer: each W1 row stays in L1 while it meets every sample of the batch.
    for (let j = 0; j < H; j++) {
      const w = j * N_IN;
      for (let s = 0; s < m; s++) {
        const x = s * N_IN;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let p = 0; p < N_IN; p += 4) {
          a0 += W1[w + p] * X[x + p];
          a1 += W1[w + p + 1] * X[x + p + 1];
          a2 += W1[w + p + 2] * X[x + p + 2];
          a3 += W1[w + p + 3] * X[x + p + 3];
        }
        A1[s * H + j] = 1 / (1 + Math.exp(-(b1[j] + a0 + a1 + a2 + a3)));
      }
    }
    // Output layer and both deltas (σ′(z) = a(1 − a)).
    outputLayer(m, labels, order, start, A1, W2, b2, D2, D1, H);
    const step = eta / m;
    // Output layer update (after its deltas used the old W2).
    updateOutputLayer(m, step, A1, W2, b2, D2, H);
    // Hidden layer update, fused with its gradient: W1[j] −= Σ_s (η/m)·δ1[s, j]·x_s.
    for (let j = 0; j < H; j++) {
      let gb = 0;
      for (let s = 0; s < m; s++) {
        coefficient[s] = step * D1[s * H + j];
        gb += coefficient[s];
      }
      b1[j] -= gb;
      const w = j * N_IN;
      for (let s = 0; s < m; s++) {
        const c = coefficient[s];
        const x = s * N_IN;
        for (let p = 0; p < N_IN; p += 4) {
          W1[w + p] -= c * X[x + p];
          W1[w + p + 1] -= c * X[x + p + 1];
          W1[w + p + 2] -= c * X[x + p + 2];
          W1[w + p + 3] -= c * X[x + p + 3];
        }
      }
    }
  }
  return { W1, b1, W2, b2 };
}

// --- plain JavaScript, hand-optimised and sparse: as above, plus the trick pynn's kernel uses —
// MNIST pixels are ~81% zeros, so the first layer touches only each sample's nonzero inputs.
// W1 is stored transposed (n_in × n_hidden) so one input's outgoing weights are contiguous.
// The skipped terms are exact zeros: the same arithmetic, summed in another order. ---------------

function trainSparse(data, init, order, { hidden, batch, eta }) {
  const H = hidden;
  const W1T = new Float64Array(N_IN * H);
  for (let j = 0; j < H; j++) for (let p = 0; p < N_IN; p++) W1T[p * H + j] = init.W1[j * N_IN + p];
  const b1 = init.b1.slice();
  const W2 = init.W2.slice();
  const b2 = init.b2.slice();
  const nzIndex = new Int32Array(batch * N_IN); // per sample: its nonzero pixels …
  const nzValue = new Float64Array(batch * N_IN); // … and their values
  const nzCount = new Int32Array(batch);
  const A1 = new Float64Array(batch * H);
  const D1 = new Float64Array(batch * H);
  const D2 = new Float64Array(batch * N_OUT);
  const images = data.trainX;
  const labels = data.trainY;

  for (let start = 0; start < order.length; start += batch) {
    const m = Math.min(batch, order.length - start);
    for (let s = 0; s < m; s++) {
      const base = order[start + s] * N_IN;
      const row = s * N_IN;
      let count = 0;
      for (let p = 0; p < N_IN; p++) {
        const v = images[base + p];
        if (v !== 0) {
          nzIndex[row + count] = p;
          nzValue[row + count] = v / 256;
          count++;
        }
      }
      nzCount[s] = count;
      // z = b1 + Σ_p x_p · W1ᵀ[p, :], over the nonzero p only.
      const a = s * H;
      for (let j = 0; j < H; j++) A1[a + j] = b1[j];
      for (let t = 0; t < count; t++) {
        const v = nzValue[row + t];
        const w = nzIndex[row + t] * H;
        for (let j = 0; j < H; j++) A1[a + j] += v * W1T[w + j];
      }
      for (let j = 0; j < H; j++) A1[a + j] = 1 / (1 + Math.exp(-A1[a + j]));
    }
    outputLayer(m, labels, order, start, A1, W2, b2, D2, D1, H);
    const step = eta / m;
    updateOutputLayer(m, step, A1, W2, b2, D2, H);
    for (let s = 0; s < m; s++) {
      const a = s * H;
      for (let j = 0; j < H; j++) {
        D1[a + j] *= step;
        b1[j] -= D1[a + j];
      }
      const row = s * N_IN;
      for (let t = 0; t < nzCount[s]; t++) {
        const v = nzValue[row + t];
        const w = nzIndex[row + t] * H;
        for (let j = 0; j < H; j++) W1T[w + j] -= v * D1[a + j];
      }
    }
  }
  const W1 = new Float64Array(H * N_IN);
  for (let j = 0; j < H; j++) for (let p = 0; p < N_IN; p++) W1[j * N_IN + p] = W1T[p * H + j];
  return { W1, b1, W2, b2 };
}

/** Test accuracy of flat parameters (float64 forward pass). */
function accuracyOf({ W1, b1, W2, b2 }, data, hidden) {
  const a1 = new Float64Array(hidden);
  let correct = 0;
  const count = data.testY.length;
  for (let i = 0; i < count; i++) {
    const base = i * N_IN;
    for (let j = 0; j < hidden; j++) {
      let z = b1[j];
      for (let p = 0; p < N_IN; p++) z += W1[j * N_IN + p] * (data.testX[base + p] / 256);
      a1[j] = sigmoid(z);
    }
    let best = 0;
    let bestValue = -Infinity;
    for (let k = 0; k < N_OUT; k++) {
      let z = b2[k];
      for (let j = 0; j < hidden; j++) z += W2[k * hidden + j] * a1[j];
      if (z > bestValue) [best, bestValue] = [k, z];
    }
    if (best === data.testY[i]) correct++;
  }
  return correct / count;
}

// --- ConvNetJS: its own Net and Trainer (vanilla SGD: p −= lr·Σg/batch_size, momentum 0) ------

function convnetNet(init, hidden) {
  const cn = self.convnetjs;
  const shape = (depth) => ({ in_sx: 1, in_sy: 1, in_depth: depth });
  const fc1 = new cn.FullyConnLayer({ ...shape(N_IN), num_neurons: hidden, bias_pref: 0 });
  const fc2 = new cn.FullyConnLayer({ ...shape(hidden), num_neurons: N_OUT, bias_pref: 0 });
  // Built by hand: makeLayers() would put an extra fc layer in front of the regression (L2) loss,
  // and Nielsen's output layer is a sigmoid one.
  const net = new cn.Net();
  net.layers = [new cn.InputLayer({ out_sx: 1, out_sy: 1, out_depth: N_IN }), fc1, new cn.SigmoidLayer(shape(hidden)),
                fc2, new cn.SigmoidLayer(shape(N_OUT)), new cn.RegressionLayer(shape(N_OUT))];
  for (const [layer, W, b, n] of [[fc1, init.W1, init.b1, N_IN], [fc2, init.W2, init.b2, hidden]]) {
    layer.filters.forEach((filter, j) => filter.w.set(W.subarray(j * n, (j + 1) * n)));
    layer.biases.w.set(b);
  }
  return net;
}

function trainConvnet(data, init, order, { hidden, batch, eta }) {
  const cn = self.convnetjs;
  const net = convnetNet(init, hidden);
  // Regression loss ½Σ(a − y)² per sample, gradient a − y: Nielsen's quadratic cost.
  const trainer = new cn.Trainer(net, { method: "sgd", learning_rate: eta, batch_size: batch, momentum: 0,
                                        l1_decay: 0, l2_decay: 0 });
  const targets = Array.from({ length: N_OUT }, (_, k) => Float64Array.from({ length: N_OUT }, (_, j) => +(j === k)));
  const x = new cn.Vol(1, 1, N_IN, 0.0);
  const images = data.trainX;
  for (let s = 0; s < order.length; s++) {
    const base = order[s] * N_IN;
    for (let p = 0; p < N_IN; p++) x.w[p] = images[base + p] / 256;
    trainer.train(x, targets[data.trainY[order[s]]]);
  }
  return net;
}

function convnetAccuracy(net, data) {
  const x = new self.convnetjs.Vol(1, 1, N_IN, 0.0);
  let correct = 0;
  for (let i = 0; i < data.testY.length; i++) {
    for (let p = 0; p < N_IN; p++) x.w[p] = data.testX[i * N_IN + p] / 256;
    const out = net.forward(x, false).w;
    let best = 0;
    for (let k = 1; k < N_OUT; k++) if (out[k] > out[best]) best = k;
    if (best === data.testY[i]) correct++;
  }
  return correct / data.testY.length;
}

// --- TensorFlow.js: variables, tf.train.sgd and optimizer.minimize, one mini-batch per step ----

async function tfSetUp(backend, threads) {
  if (!tfLoaded) {
    importScripts(`${MODULES}@tensorflow/tfjs/dist/tf.min.js`,
                  `${MODULES}@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js`);
    tfLoaded = true;
  }
  const tf = self.tf;
  if (backend === "wasm") {
    tf.wasm.setWasmPaths(new URL(`${MODULES}@tensorflow/tfjs-backend-wasm/dist/`, self.location.href).href);
    if (threads) tf.wasm.setThreadsCount(threads);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js backend ${backend} did not start`);
  await tf.ready();
  const info = { backend: tf.getBackend(), version: tf.version.tfjs };
  if (backend === "wasm") {
    info.threads = tf.wasm.getThreadsCount?.() ?? null;
    info.simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    info.multithreading = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  }
  return info;
}

function tfData(data, count) {
  const tf = self.tf;
  const toFloat = (bytes) => Float32Array.from(bytes, (v) => v / 256);
  return {
    xTrain: tf.tensor2d(toFloat(data.trainX.subarray(0, count * N_IN)), [count, N_IN]),
    yTrain: tf.oneHot(tf.tensor1d(Int32Array.from(data.trainY.subarray(0, count)), "int32"), N_OUT).toFloat(),
    xTest: tf.tensor2d(toFloat(data.testX), [data.testY.length, N_IN]),
  };
}

function tfTrain(tensors, init, order, { hidden, batch, eta }) {
  const tf = self.tf;
  // x·Wᵀ with W stored transposed (n_in × n_out), the usual layout for a dense layer.
  const transpose = (W, n, m) => {
    const t = new Float32Array(n * m);
    for (let j = 0; j < n; j++) for (let p = 0; p < m; p++) t[p * n + j] = W[j * m + p];
    return t;
  };
  const W1 = tf.variable(tf.tensor2d(transpose(init.W1, hidden, N_IN), [N_IN, hidden]));
  const b1 = tf.variable(tf.tensor1d(Float32Array.from(init.b1)));
  const W2 = tf.variable(tf.tensor2d(transpose(init.W2, N_OUT, hidden), [hidden, N_OUT]));
  const b2 = tf.variable(tf.tensor1d(Float32Array.from(init.b2)));
  const optimizer = tf.train.sgd(eta);
  const perm = tf.tensor1d(order, "int32");
  const forward = (x) => tf.sigmoid(tf.sigmoid(x.matMul(W1).add(b1)).matMul(W2).add(b2));
  const start = performance.now();
  for (let first = 0; first < order.length; first += batch) {
    const m = Math.min(batch, order.length - first);
    tf.tidy(() => {
      const indices = perm.slice(first, m);
      const xb = tf.gather(tensors.xTrain, indices);
      const yb = tf.gather(tensors.yTrain, indices);
      // Mean over the batch of ½‖a − y‖²: its gradient is Nielsen's, so lr = η.
      optimizer.minimize(() => forward(xb).sub(yb).square().sum().mul(0.5 / m));
    });
  }
  W1.dataSync(); // every step has run
  const seconds = (performance.now() - start) / 1000;
  const predictions = tf.tidy(() => forward(tensors.xTest).argMax(1).dataSync());
  return { seconds, predictions, dispose: () => tf.dispose([W1, b1, W2, b2, perm, optimizer]) };
}

// --- the request ------------------------------------------------------------------------------

async function run({ peer, samples, seed, hidden = 30, batch = 10, eta = 3.0, threads = 0 }) {
  const data = await loadData();
  const total = data.trainY.length;
  const count = Math.min(samples ?? total, total);
  const random = mulberry32(seed);
  const init = initialParameters(hidden, random);
  const order = shuffled(count, random);
  const settings = { hidden, batch, eta };
  const result = { peer, samples: count, crossOriginIsolated: self.crossOriginIsolated };
  let start;
  const loops = { "js-plain": trainPlain, "js-unrolled": trainUnrolled, "js-sparse": trainSparse };
  if (peer in loops) {
    start = performance.now();
    const trained = loops[peer](data, init, order, settings);
    result.seconds = (performance.now() - start) / 1000;
    result.accuracy = accuracyOf(trained, data, hidden);
  } else if (peer === "convnetjs") {
    if (!convnetLoaded) {
      self.window ??= self; // its last line exports to window.jsfeat (sic) outside CommonJS
      importScripts(`${MODULES}convnetjs/build/convnet-min.js`);
      convnetLoaded = true;
    }
    start = performance.now();
    const net = trainConvnet(data, init, order, settings);
    result.seconds = (performance.now() - start) / 1000;
    result.accuracy = convnetAccuracy(net, data);
  } else if (peer.startsWith("tfjs-")) {
    const backend = peer.split("-")[1];
    Object.assign(result, await tfSetUp(backend, threads));
    const tensors = tfData(data, count);
    const trained = tfTrain(tensors, init, order, settings);
    result.seconds = trained.seconds;
    let correct = 0;
    trained.predictions.forEach((digit, i) => { correct += digit === data.testY[i]; });
    result.accuracy = correct / data.testY.length;
    trained.dispose();
    self.tf.dispose(Object.values(tensors));
  } else {
    throw new Error(`unknown peer ${peer}`);
  }
  result.epochSeconds = result.seconds * (total / count); // scaled to 50,000 samples when shortened
  return result;
}

self.addEventListener("message", async ({ data }) => {
  try {
    // The conv net's peers (conv-*) live in conv.js, which shares this script's globals.
    if (String(data.peer).startsWith("conv-") && typeof runConv !== "function") importScripts("conv.js");
    postMessage({ ok: true, result: await (String(data.peer).startsWith("conv-") ? runConv(data) : run(data)) });
  } catch (error) {
    postMessage({ ok: false, error: String(error?.stack ?? error) });
  }
});
