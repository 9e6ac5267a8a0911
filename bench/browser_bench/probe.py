"""Memory while the page works: the worker's JS heap and WebAssembly memory (through the
DevTools protocol, and the page's own "memory" request), the renderer process's resident set."""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path


def renderer_rss_mb() -> float | None:
    """Largest resident set of a Chromium renderer process started by this benchmark."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            children.setdefault(int(fields["PPid"]), []).append(int(fields["Pid"]))
        except (OSError, KeyError, ValueError):
            continue
    todo, mine = [os.getpid()], []
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            mine.append(child)
            todo.append(child)
    best = None
    for pid in mine:
        try:
            if b"--type=renderer" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                    best = rss if best is None else max(best, rss)
        except OSError:
            continue
    return best



# Run in the page's worker before any of its own code (the worker waits for the debugger): keeps every
# WebAssembly.Memory the worker makes, so that the benchmark can read their sizes (Pyodide's heap).
MEMORY_HOOK = """
(() => {
  const memories = globalThis.__benchMemories = [];
  const keep = (value) => {
    if (value instanceof WebAssembly.Memory && !memories.includes(value)) memories.push(value);
  };
  WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
    construct(target, args, newTarget) {
      const memory = Reflect.construct(target, args, newTarget);
      keep(memory);
      return memory;
    },
  });
  for (const name of ["instantiate", "instantiateStreaming"]) {
    const original = WebAssembly[name];
    WebAssembly[name] = async function (...args) {
      const result = await original.apply(this, args);
      Object.values((result.instance ?? result).exports ?? {}).forEach(keep);
      return result;
    };
  }
})();
"""
WASM_BYTES = "globalThis.__benchMemories ? __benchMemories.reduce((sum, m) => sum + m.buffer.byteLength, 0) : null"


class WorkerProbe:
    """The page's dedicated worker: its JS heap through the DevTools protocol (a CDP session of the
    page, attached non-flat to its workers), and Pyodide's heap (the WebAssembly memory) as the
    page's worker reports it (bridge.call("memory")), or else as MEMORY_HOOK saw it.  Attach before
    navigating, so that the hook can run before the worker's own code."""

    def __init__(self, page) -> None:
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.session = None
        self.replies: dict[int, dict] = {}
        self.next_id = 1
        self.cdp.on("Target.attachedToTarget", self._attached)
        self.cdp.on("Target.receivedMessageFromTarget", self._message)
        self.cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})
        self.cdp.send("Performance.enable")

    def _post(self, session: str, method: str, params: dict | None = None) -> int:
        ident = self.next_id
        self.next_id += 1
        self.cdp.send("Target.sendMessageToTarget", {"sessionId": session, "message": json.dumps(
            {"id": ident, "method": method, "params": params or {}})})
        return ident

    def _attached(self, event) -> None:
        session = event["sessionId"]
        if event["targetInfo"]["type"] == "worker" and self.session is None:
            self.session = session
            self._post(session, "Runtime.evaluate", {"expression": MEMORY_HOOK})
        if event.get("waitingForDebugger"):
            self._post(session, "Runtime.runIfWaitingForDebugger")

    def _message(self, event) -> None:
        message = json.loads(event["message"])
        if "id" in message:
            self.replies[message["id"]] = message

    def call(self, method: str, params: dict | None = None, timeout: float = 10.0) -> dict:
        if self.session is None:
            raise RuntimeError("no worker target")
        ident = self._post(self.session, method, params)
        deadline = time.monotonic() + timeout
        while ident not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"worker did not answer {method}")
            self.page.wait_for_timeout(5)
        reply = self.replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def sample(self) -> dict:
        sample = {"renderer_rss_mb": renderer_rss_mb()}
        with contextlib.suppress(Exception):
            heap = self.call("Runtime.getHeapUsage")
            sample["worker_js_heap_mb"] = heap["usedSize"] / 2**20
            sample["worker_backing_stores_mb"] = heap.get("backingStorageSize", 0) / 2**20
        with contextlib.suppress(Exception):
            # The page's own "memory" request (Pyodide's HEAPU8 size), answered between training chunks …
            value = self.page.evaluate("() => window.pynnApp?.bridge?.call('memory').then((m) => m.wasmHeapBytes, "
                                       "() => null) ?? null")
            if value:
                sample["worker_wasm_mb"] = value / 2**20
                sample["worker_wasm_source"] = "page"
        with contextlib.suppress(Exception):
            # … and the memories MEMORY_HOOK kept, for a page without it (the hook can lose the race
            # with the worker's start: then it has seen nothing).
            value = self.call("Runtime.evaluate", {"expression": WASM_BYTES, "returnByValue": True})["result"]
            if value.get("value"):
                sample["worker_wasm_hook_mb"] = value["value"] / 2**20
                if "worker_wasm_mb" not in sample:
                    sample["worker_wasm_mb"] = sample["worker_wasm_hook_mb"]
                    sample["worker_wasm_source"] = "hook"
        with contextlib.suppress(Exception):
            metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
            sample["page_js_heap_mb"] = metrics["JSHeapUsedSize"] / 2**20
        return sample

