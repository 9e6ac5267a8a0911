// The page ↔ worker protocol, used by both sides.
//
//   page → worker  {id, type: REQUEST.*, ...payload}
//   worker → page  {id, kind: REPLY.result, value}        the request is answered
//                  {id, kind: REPLY.error, error: {name, message, fields?}}
//                  {id, kind: REPLY.progress, value}      a step of a long request (train, finetune,
//                                                         evaluate)
//                  {kind: REPLY.status, stage, message}   boot and data-loading stages
//                  {kind: REPLY.fatal, message}           the worker cannot go on
//
// No top-level await here or in anything the worker imports: a module worker that is still
// evaluating drops the messages sent to it (the page's first "boot" among them).

export const REQUEST = Object.freeze({
  boot: "boot",
  predict: "predict",
  use: "use",
  loadModel: "loadModel",
  modelJson: "modelJson",
  hiddenUnits: "hiddenUnits",
  train: "train",
  stop: "stop",
  memory: "memory",
  // Teaching it your handwriting, evaluating, explaining (pynn.teaching):
  labelDigit: "labelDigit",
  digits: "digits",
  removeDigit: "removeDigit",
  clearDigits: "clearDigits",
  digitsFile: "digitsFile",
  loadDigits: "loadDigits",
  finetune: "finetune", // long: reports {started} then {progress}, answers {stopped, progress, result}
  stopFinetune: "stopFinetune",
  evaluate: "evaluate", // long: reports {progress}, answers the report (pynn.report)
  testImages: "testImages",
  explain: "explain",
  crash: "crash", // test seam only (testhooks.js): make the worker fail on purpose
});

export const REPLY = Object.freeze({
  result: "result", error: "error", progress: "progress", status: "status", fatal: "fatal",
});

// How a test can make the worker fail: an uncaught error, a fatal message, or silence.
export const CRASH_KINDS = Object.freeze(["error", "fatal", "hang"]);

// pynn.settings.MODEL_NAMES; checkModelNames() holds them to config.json's list at start.
export const MODEL = Object.freeze({ pretrained: "pretrained", yours: "yours", finetuned: "finetuned" });

export function checkModelNames(config) {
  if (config.models.join() !== Object.values(MODEL).join()) {
    throw new Error(`config.json names the models ${config.models.join(", ")}; this page knows `
                    + Object.values(MODEL).join(", "));
  }
}
