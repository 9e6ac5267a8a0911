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
importScripts("js-peers.js"); // the plain JavaScript peers

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
