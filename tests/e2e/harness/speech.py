"""What a screen reader would say unasked: every change of a live region's text, recorded in the
page.  A live region is any element a screen reader watches: aria-live other than "off",
roles status, alert and log, and <output> (a status by default).  Each record is the region's
id and its new text; a region emptied is not recorded (there is nothing to say)."""

from __future__ import annotations

from playwright.sync_api import Page

RECORDER_JS = """() => {
  const LIVE = '[aria-live]:not([aria-live="off"]), [role="status"], [role="alert"], [role="log"], output';
  const said = window.__spoken = [];
  const last = new Map();
  const regionOf = (node) => {
    const element = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
    return element?.closest(LIVE);
  };
  new MutationObserver((mutations) => {
    const changed = new Set(mutations.map((m) => regionOf(m.target)).filter(Boolean));
    for (const region of changed) {
      const text = region.textContent.trim();
      if (text && text !== last.get(region)) said.push({region: region.id || region.tagName, text});
      last.set(region, text);
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def start_listening(page: Page) -> None:
    """Record every live region's changes from now on."""
    page.evaluate(RECORDER_JS)


def heard(page: Page) -> list[dict]:
    """What was said since start_listening (or the last clear_heard): [{region, text}, …]."""
    return page.evaluate("() => window.__spoken ? [...window.__spoken] : []")


def clear_heard(page: Page) -> None:
    page.evaluate("() => { if (window.__spoken) window.__spoken.length = 0; }")
