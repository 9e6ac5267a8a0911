"""Accessibility checks with axe-core, injected into the page under test (never shipped in site/).

axe-core is an npm package pinned, with its integrity hash, by harness/node/package-lock.json;
``npm ci`` installs it there (git-ignored node_modules) the first time a check needs it, so a
clean clone needs nothing beyond npm.  The script goes in through page.evaluate (the DevTools
protocol), which the page's CSP does not govern, and is run once per check.
"""

from __future__ import annotations

from playwright.sync_api import Page

from harness.npm import NODE, npm_ci

AXE_SCRIPT = NODE / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("critical", "serious")  # the impacts a page state must have none of


def axe_source() -> str:
    npm_ci(NODE)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[dict]:
    """axe-core's violations of the page as it is now, of the given impacts: each with its rule,
    impact, help text and the nodes (CSS target and the failure summary)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())
    found = page.evaluate("""async () => {
      const result = await axe.run(document, {resultTypes: ['violations']});
      return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""")
    return [v for v in found if v["impact"] in impacts]


def describe(found: list[dict], limit: int = 5) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['impact']} {v['id']} ({len(v['nodes'])}): {v['help']}")
        lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1].strip()}" for n in v["nodes"][:limit]]
    return "\n".join(lines)


def assert_accessible(page: Page, state: str) -> None:
    """No critical or serious axe-core violation in the page's current state (named in the failure)."""
    found = violations(page)
    assert not found, f"axe-core, {state}:\n{describe(found)}"
