// Bench only: the plain JavaScript peers of worker.js (straightforward, hand-unrolled and
// sparse), loaded there with importScripts; they use its shared set-up (sigmoid, N_IN, N_OUT).

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
