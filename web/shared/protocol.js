// The page ↔ worker protocol, used by both sides. Python's names travel as they are: a call
// names a pynn.page.browser.Session method (PAGE_CALLS) with its arguments by their Python names,
// and a job names one of pynn.page.browser.JOBS; nothing is renamed on the way.
//
//   page → worker  {id, call: method, args: {…}}        a Session method; answered by a result
//                  {id, job: kind, args: {…}}           a job (train, finetune, evaluate): progress
//                                                       replies, then its result
//                  {id, stop: jobId}                    Stop the job started by request jobId
//                  {id, worker: WORKER.*, args: {…}}    the worker's own requests
//   worker → page  {id, kind: REPLY.result, value}      the request is answered
//                  {id, kind: REPLY.error, error: {name, message, fields?}}
//                  {id, kind: REPLY.progress, value}    {started} once, then {progress}, of a job
//                  {id, kind: REPLY.checkpoint, value}  a job's state, to resume it after a reload
//                  {kind: REPLY.status, stage, message} boot and data-loading stages
//                  {kind: REPLY.fatal, message}         the worker cannot go on
//
// No top-level await here or in anything the worker imports: a module worker that is still
// evaluating drops the messages sent to it (the page's first "boot" among them).

// The worker's own requests: "boot" answers once Python is up ({timings, model}: the shipped model,
// or null for a worker that starts without it); "shipped" loads the shipped model from the site;
// "share_port" ({index, port}) gives the main worker and a pool worker each an end of one channel
// for training shares (web/worker/shares.js), and "drop_port" ({index}) tells the main worker
// that pool worker is gone.
export const WORKER = Object.freeze({ boot: "boot", shipped: "shipped", sharePort: "share_port",
                                      dropPort: "drop_port" });

// The worker's requests that only test builds answer (build.py --test-seams ships web/testing/):
// the WebAssembly heap's size, for the memory benchmarks, and failing on purpose.
export const TEST_REQUEST = Object.freeze({ memory: "memory", crash: "crash" });

// The page's workers (workers.js, pool.js), each told its role as its name (self.name): the
// main one holds the session and runs the jobs; the prediction worker answers predictions
// beside it; the pool's workers take shares of work that splits.
export const ROLE = Object.freeze({ main: "main", prediction: "prediction", pool: "pool" });

export const JOB = Object.freeze({ train: "train", finetune: "finetune", evaluate: "evaluate",
                                   evaluateShare: "evaluate_share", featuresShare: "features_share" });

export const REPLY = Object.freeze({
  result: "result", error: "error", progress: "progress", checkpoint: "checkpoint", status: "status",
  fatal: "fatal",
});

// Status stages the page treats specially: data loading ends (what was shown before comes back).
export const STAGE = Object.freeze({ data: "data", dataLoaded: "data-loaded" });


// pynn.page.settings.MODEL_NAMES; checkModelNames() holds them to config.json's list at start.
export const MODEL = Object.freeze({ pretrained: "pretrained", yours: "yours", finetuned: "finetuned" });

export function checkModelNames(config) {
  if (config.models.join() !== Object.values(MODEL).join()) {
    throw new Error(`config.json names the models ${config.models.join(", ")}; this page knows `
                    + Object.values(MODEL).join(", "));
  }
}
