// The 10×10 confusion matrix as a heatmap: rows are the true digit, columns what the model
// read. Each cell carries data-true, data-pred and data-count; hovering or focusing one (arrow
// keys move the focus, one tab stop for the grid) shows its count in the readout.

function describe(cell, rowTotal) {
  const { true: truth, pred, count } = cell.dataset;
  const share = rowTotal ? ` (${((100 * count) / rowTotal).toFixed(1)}% of the ${truth}s)` : "";
  const verb = truth === pred ? "read correctly" : `read as ${pred}`;
  return `True ${truth}, ${verb}: ${Number(count).toLocaleString("en")} image${count === "1" ? "" : "s"}${share}`;
}

/** Draws `confusion` (10×10 counts) into `grid`; `readout` shows the cell under focus or pointer. */
export function renderConfusion(grid, readout, confusion) {
  const size = confusion.length;
  const rowTotals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const offMax = Math.max(1, ...confusion.flatMap((row, t) => row.filter((_, p) => p !== t)));
  const header = (text, className) => {
    const span = Object.assign(document.createElement("span"), { className, textContent: text });
    span.setAttribute("aria-hidden", "true");
    return span;
  };
  const children = [header("true ↓ read →", "cm-corner")];
  for (let p = 0; p < size; p++) children.push(header(String(p), "cm-head"));
  const cells = [];
  confusion.forEach((row, t) => {
    children.push(header(String(t), "cm-head"));
    row.forEach((count, p) => {
      const cell = document.createElement("span");
      cell.className = t === p ? "cm-cell diagonal" : "cm-cell";
      Object.assign(cell.dataset, { true: String(t), pred: String(p), count: String(count) });
      cell.setAttribute("role", "gridcell");
      cell.tabIndex = -1;
      const label = describe(cell, rowTotals[t]);
      cell.setAttribute("aria-label", label);
      cell.title = label;
      // Diagonal: share of the row read right; elsewhere: count against the largest mistake count.
      const heat = t === p ? (rowTotals[t] ? count / rowTotals[t] : 0) : Math.sqrt(count / offMax);
      cell.style.setProperty("--heat", heat.toFixed(3));
      cell.textContent = count ? String(count) : "";
      cells.push(cell);
      children.push(cell);
    });
  });
  grid.replaceChildren(...children);
  grid.setAttribute("role", "grid");
  cells[0].tabIndex = 0;
  const show = (cell) => {
    readout.textContent = describe(cell, rowTotals[Number(cell.dataset.true)]);
  };
  for (const cell of cells) {
    cell.addEventListener("mouseenter", () => show(cell));
    cell.addEventListener("focus", () => show(cell));
  }
  grid.onkeydown = (event) => {
    const index = cells.indexOf(document.activeElement);
    if (index < 0) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -size, ArrowDown: size, Home: -(index % size),
                    End: size - 1 - (index % size) };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = cells[index + moves[event.key]];
    if (!next) return;
    cells[index].tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
  };
  readout.textContent = "Hover over or focus a cell (arrow keys move) to see its count.";
}
