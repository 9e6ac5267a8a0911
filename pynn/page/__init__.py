"""The page's side: what the web page's worker runs.  ``browser.Session`` is the one door the
page calls; the rest are its jobs (train, evaluate, fine-tune, compute ahead), their reports,
checkpoints and the page's settings.  Nothing here imports Pyodide."""
