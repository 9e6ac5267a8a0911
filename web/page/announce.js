// What a screen reader hears. The page has one polite live region, #announcer; the panels show
// their messages as plain text and say here what a person should hear: a prediction once per
// stroke, a result once, progress at most every PROGRESS_MS. One region means one message at
// a time (a new one replaces the last) instead of several regions talking over each other.

const PROGRESS_MS = 10_000;
let lastProgressAt = -Infinity;

function region() {
  return document.getElementById("announcer");
}

/** Says `text` now (results, errors, the answer to something the person did). */
export function announce(text) {
  const element = region();
  if (!element || !text) return;
  if (element.textContent === text) {
    // The same words again (the same digit read twice): empty the region first, or nothing changes.
    element.textContent = "";
    requestAnimationFrame(() => {
      element.textContent = text;
    });
  } else {
    element.textContent = text;
  }
}

/** Says a progress report unless one was said in the last PROGRESS_MS (a run's reports arrive
 * several times a second). `first` says it at once, and restarts the interval. */
export function announceProgress(text, first = false) {
  const now = performance.now();
  if (!first && now - lastProgressAt < PROGRESS_MS) return;
  lastProgressAt = now;
  announce(text);
}
