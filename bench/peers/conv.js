// Bench only: the peers' epoch of the page's conv net (pynn.nets.architectures.conv_layers, network3's
// layers, Nielsen ch. 6): 20 5×5 filters (valid, stride 1) + bias → ReLU → 2×2 max-pool,
// fully connected 2880 → 100 ReLU, softmax 10, log-likelihood cost, plain SGD with the mean
// gradient of a mini-batch of 10, η 0.1. (ReLU commutes with the max-pool and a per-filter
// bias, so network3's ReLU(pool(conv) + b) is the same function as pool(ReLU(conv + b)).)
//
// Loaded by worker.js (importScripts) for the peers named conv-*, so it shares worker.js's
// globals: loadData, mulberry32, gaussian, shuffled, tfSetUp, MODULES, N_IN, N_OUT.
// Every peer draws network3's initial distributions (filters N(0, 1/125), FC weights N(0, 1/100),
// their biases N(0, 1), softmax zeros) and the sample order from one seeded generator; like pynn,
// ConvNetJS converts the uint8 pixels to pixel/256 sample by sample inside the timed loop,
// TensorFlow.js gets its training set as one float32 tensor before the clock starts. Timed: the
// epoch only; the accuracy afterwards, on the first `testCount` test images, checks it learned.
"use strict";

const SIDE = 28;
const KERNEL = 5;
const FILTERS = 20;
const CONV_SIDE = SIDE - KERNEL + 1; // 24
const POOLED = CONV_SIDE / 2; // 12
const FLAT = FILTERS * POOLED * POOLED; // 2880

/** Parameters in network3's layouts: filters (f, ky, kx), FC weights (n_in × n_out) with the
 * inputs in pynn's (filter, y, x) order, softmax weights (n_in × 10). */
function convInitialParameters(hidden, random) {
  const normal = (n, sd) => Float64Array.from({ length: n }, () => sd * gaussian(random));
  return { filters: normal(FILTERS * KERNEL * KERNEL, Math.sqrt(1 / 125)), convBias: normal(FILTERS, 1),
           W1: normal(FLAT * hidden, Math.sqrt(1 / hidden)), b1: normal(hidden, 1),
           W2: new Float64Array(hidden * N_OUT), b2: new Float64Array(N_OUT) };
}

// --- ConvNetJS: its Net (makeLayers) and Trainer (vanilla SGD: p −= lr·Σg/batch_size) ---------

function convnetConvNet(init, hidden) {
  const cn = self.convnetjs;
  const net = new cn.Net();
  net.makeLayers([
    { type: "input", out_sx: SIDE, out_sy: SIDE, out_depth: 1 },
    { type: "conv", sx: KERNEL, filters: FILTERS, stride: 1, pad: 0, activation: "relu" },
    { type: "pool", sx: 2, stride: 2 },
    { type: "fc", num_neurons: hidden, activation: "relu" },
    { type: "softmax", num_classes: N_OUT },
  ]);
  const [conv, fc1, fc2] = net.layers.filter((layer) => layer.filters);
  conv.filters.forEach((filter, f) => filter.w.set(init.filters.subarray(f * 25, (f + 1) * 25)));
  conv.biases.w.set(init.convBias);
  // ConvNetJS's volumes are (y, x, depth); pynn's flattened pool output is (filter, y, x).
  fc1.filters.forEach((filter, j) => {
    for (let f = 0; f < FILTERS; f++) {
      for (let p = 0; p < POOLED * POOLED; p++) filter.w[p * FILTERS + f] = init.W1[(f * POOLED * POOLED + p) * hidden + j];
    }
  });
  fc1.biases.w.set(init.b1);
  fc2.filters.forEach((filter, k) => { for (let j = 0; j < hidden; j++) filter.w[j] = init.W2[j * N_OUT + k]; });
  fc2.biases.w.set(init.b2);
  return net;
}

function trainConvnetConv(data, init, order, { hidden, batch, eta }) {
  const cn = self.convnetjs;
  const net = convnetConvNet(init, hidden);
  const trainer = new cn.Trainer(net, { method: "sgd", learning_rate: eta, batch_size: batch, momentum: 0,
                                        l1_decay: 0, l2_decay: 0 });
  const x = new cn.Vol(SIDE, SIDE, 1, 0.0);
  const images = data.trainX;
  for (let s = 0; s < order.length; s++) {
    const base = order[s] * N_IN;
    for (let p = 0; p < N_IN; p++) x.w[p] = images[base + p] / 256;
    trainer.train(x, data.trainY[order[s]]);
  }
  return net;
}

function convnetConvAccuracy(net, data, count) {
  const x = new self.convnetjs.Vol(SIDE, SIDE, 1, 0.0);
  let correct = 0;
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < N_IN; p++) x.w[p] = data.testX[i * N_IN + p] / 256;
    const out = net.forward(x, false).w;
    let best = 0;
    for (let k = 1; k < N_OUT; k++) if (out[k] > out[best]) best = k;
    if (best === data.testY[i]) correct++;
  }
  return correct / count;
}

// --- TensorFlow.js: variables, tf.train.sgd and optimizer.minimize, one mini-batch per step.
// The wasm backend has no Conv2DBackpropFilter kernel (4.22), so there the convolution is
// im2col: a gather of the 576 5×5 patches and one matMul (the filters' gradient is a matMul
// too); backends that have the kernel (cpu) use tf.conv2d. ----------------------------------

function patchIndices() {
  const indices = new Int32Array(CONV_SIDE * CONV_SIDE * KERNEL * KERNEL);
  let i = 0;
  for (let y = 0; y < CONV_SIDE; y++) {
    for (let x = 0; x < CONV_SIDE; x++) {
      for (let ky = 0; ky < KERNEL; ky++) for (let kx = 0; kx < KERNEL; kx++) indices[i++] = (y + ky) * SIDE + x + kx;
    }
  }
  return indices;
}

function tfConvTrain(tensors, init, order, { hidden, batch, eta }, useConv2d) {
  const tf = self.tf;
  // filters as (ky·kx, f) for im2col and (ky, kx, 1, f) for conv2d: the same numbers.
  const filtersT = new Float32Array(KERNEL * KERNEL * FILTERS);
  for (let f = 0; f < FILTERS; f++) for (let k = 0; k < 25; k++) filtersT[k * FILTERS + f] = init.filters[f * 25 + k];
  // FC weights with their inputs in TF's (y, x, filter) order.
  const W1 = new Float32Array(FLAT * hidden);
  for (let f = 0; f < FILTERS; f++) {
    for (let p = 0; p < POOLED * POOLED; p++) {
      W1.set(init.W1.subarray((f * POOLED * POOLED + p) * hidden, (f * POOLED * POOLED + p + 1) * hidden),
             (p * FILTERS + f) * hidden);
    }
  }
  const vars = {
    filters: tf.variable(useConv2d ? tf.tensor4d(filtersT, [KERNEL, KERNEL, 1, FILTERS])
                                   : tf.tensor2d(filtersT, [KERNEL * KERNEL, FILTERS])),
    convBias: tf.variable(tf.tensor1d(Float32Array.from(init.convBias))),
    W1: tf.variable(tf.tensor2d(W1, [FLAT, hidden])), b1: tf.variable(tf.tensor1d(Float32Array.from(init.b1))),
    W2: tf.variable(tf.tensor2d(Float32Array.from(init.W2), [hidden, N_OUT])),
    b2: tf.variable(tf.tensor1d(Float32Array.from(init.b2))),
  };
  const patches = tf.tensor1d(patchIndices(), "int32");
  const forward = (x) => { // x: (m, 784) → logits (m, 10)
    const m = x.shape[0];
    const conv = useConv2d
      ? tf.conv2d(x.reshape([m, SIDE, SIDE, 1]), vars.filters, 1, "valid")
      : tf.gather(x, patches, 1).reshape([m * CONV_SIDE * CONV_SIDE, KERNEL * KERNEL]).matMul(vars.filters)
        .reshape([m, CONV_SIDE, CONV_SIDE, FILTERS]);
    const pooled = tf.maxPool(tf.relu(conv.add(vars.convBias)), 2, 2, "valid").reshape([m, FLAT]);
    return tf.relu(pooled.matMul(vars.W1).add(vars.b1)).matMul(vars.W2).add(vars.b2);
  };
  const optimizer = tf.train.sgd(eta);
  const perm = tf.tensor1d(order, "int32");
  const start = performance.now();
  for (let first = 0; first < order.length; first += batch) {
    const m = Math.min(batch, order.length - first);
    tf.tidy(() => {
      const indices = perm.slice(first, m);
      const xb = tf.gather(tensors.xTrain, indices);
      const yb = tf.gather(tensors.yTrain, indices);
      // mean over the batch of −log softmax(z)_y: network3's log-likelihood, so lr = η.
      optimizer.minimize(() => tf.losses.softmaxCrossEntropy(yb, forward(xb)));
    });
  }
  vars.W2.dataSync(); // every step has run
  const seconds = (performance.now() - start) / 1000;
  const predictions = [];
  for (let i = 0; i < tensors.xTest.shape[0]; i += 500) {
    predictions.push(...tf.tidy(() => forward(tensors.xTest.slice(i, Math.min(500, tensors.xTest.shape[0] - i)))
      .argMax(1).dataSync()));
  }
  return { seconds, predictions, dispose: () => tf.dispose([...Object.values(vars), patches, perm, optimizer]) };
}

// --- the request (from worker.js's run) --------------------------------------------------------

async function runConv({ peer, samples, seed, hidden = 100, batch = 10, eta = 0.1, testCount = 2000, threads = 0 }) {
  const data = await loadData();
  const total = data.trainY.length;
  const count = Math.min(samples ?? total, total);
  const tests = Math.min(testCount, data.testY.length);
  const random = mulberry32(seed);
  const init = convInitialParameters(hidden, random);
  const order = shuffled(count, random);
  const settings = { hidden, batch, eta };
  const result = { peer, samples: count, testCount: tests, crossOriginIsolated: self.crossOriginIsolated };
  if (peer === "conv-convnetjs") {
    if (!self.convnetjs) {
      self.window ??= self; // its last line exports to window.jsfeat (sic) outside CommonJS
      importScripts(`${MODULES}convnetjs/build/convnet-min.js`);
    }
    const start = performance.now();
    const net = trainConvnetConv(data, init, order, settings);
    result.seconds = (performance.now() - start) / 1000;
    result.accuracy = convnetConvAccuracy(net, data, tests);
  } else if (peer.startsWith("conv-tfjs-")) {
    const backend = peer.split("-")[2];
    Object.assign(result, await tfSetUp(backend, threads));
    const tf = self.tf;
    const useConv2d = !!tf.getKernel("Conv2DBackpropFilter", tf.getBackend());
    result.conv = useConv2d ? "conv2d" : "im2col (gather + matMul)";
    const toFloat = (bytes) => Float32Array.from(bytes, (v) => v / 256);
    const tensors = {
      xTrain: tf.tensor2d(toFloat(data.trainX.subarray(0, count * N_IN)), [count, N_IN]),
      yTrain: tf.oneHot(tf.tensor1d(Int32Array.from(data.trainY.subarray(0, count)), "int32"), N_OUT).toFloat(),
      xTest: tf.tensor2d(toFloat(data.testX.subarray(0, tests * N_IN)), [tests, N_IN]),
    };
    const trained = tfConvTrain(tensors, init, order, settings, useConv2d);
    result.seconds = trained.seconds;
    let correct = 0;
    trained.predictions.forEach((digit, i) => { correct += digit === data.testY[i]; });
    result.accuracy = correct / tests;
    trained.dispose();
    tf.dispose(Object.values(tensors));
  } else {
    throw new Error(`unknown conv peer ${peer}`);
  }
  result.epochSeconds = result.seconds * (total / count); // scaled to 50,000 samples when shortened
  return result;
}
