// The gallery of your digits: each one's 28×28 image, its label and a delete button. Rendered
// from the summary Python gives (pynn.page.teaching.digits_summary); one list item per digit.
import { imageCanvas, paintDigit } from "./images.js";

/** Replaces the list's items with one per digit; `onDelete(index)` is called on delete. */
export function renderGallery(list, summary, onDelete) {
  const items = summary.digits.map((digit, index) => {
    const item = document.createElement("li");
    item.className = "your-digit";
    item.dataset.label = String(digit.label);
    item.dataset.index = String(index);
    const canvas = imageCanvas(`your drawing of ${digit.label}`);
    paintDigit(canvas, digit.preview);
    const label = Object.assign(document.createElement("span"), { className: "your-digit-label",
                                                                  textContent: String(digit.label) });
    const remove = Object.assign(document.createElement("button"), {
      type: "button", className: "your-digit-delete", textContent: "×",
    });
    remove.setAttribute("aria-label", `Delete drawing ${index + 1}, a ${digit.label}`);
    remove.title = "Delete this drawing";
    remove.addEventListener("click", () => onDelete(index));
    item.append(canvas, label, remove);
    return item;
  });
  list.replaceChildren(...items);
}

/** "12 digits: 0 ×2, 1 ×1, …" */
export function describeCounts(summary) {
  if (!summary.count) return "No digits yet: draw one, then press the button with its label.";
  const parts = summary.per_label.map((n, digit) => (n ? `${digit} ×${n}` : null)).filter(Boolean);
  return `${summary.count} digit${summary.count === 1 ? "" : "s"}: ${parts.join(", ")}.`;
}
