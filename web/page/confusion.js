// The 10×10 confusion matrix as a heatmap table: rows are the true digit, columns what the
// model read. A table (a grid, since arrow keys move the focus among its cells, one tab stop
// for all) gives each count its row and column headers for a screen reader; a cell's name is
// the count it shows. Each cell carries data-true, data-pred and data-count; hovering or
// focusing one shows its sentence in the readout.

function describe(cell, rowTotal) {
  const { true: truth, pred, count } = cell.dataset;
  const share = rowTotal ? ` (${((100 * count) / rowTotal).toFixed(1)}% of the ${truth}s)` : "";
  const verb = truth === pred ? "read correctly" : `read as ${pred}`;
  return `True ${truth}, ${verb}: ${Number(count).toLocaleString("en")} image${count === "1" ? "" : "s"}${share}`;
}

function hidden(text) {
  return Object.assign(document.createElement("span"), { className: "visually-hidden", textContent: text });
}

function header(scope, spoken, digit) {
  const th = Object.assign(document.createElement("th"), { scope, className: "cm-head" });
  th.append(hidden(spoken), String(digit));
  return th;
}

/** Draws `confusion` (10×10 counts) into the table `grid`; `readout` shows the cell under focus
 * or pointer. */
export function renderConfusion(grid, readout, confusion) {
  const size = confusion.length;
  const rowTotals = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const offMax = Math.max(1, ...confusion.flatMap((row, t) => row.filter((_, p) => p !== t)));
  const head = document.createElement("tr");
  head.append(Object.assign(document.createElement("td"), { className: "cm-corner", textContent: "true ↓ read →" }),
              ...confusion.map((_, p) => header("col", "read as ", p)));
  const cells = [];
  const rows = confusion.map((row, t) => {
    const tr = document.createElement("tr");
    tr.append(header("row", "true ", t));
    row.forEach((count, p) => {
      const cell = Object.assign(document.createElement("td"), { className: t === p ? "cm-cell diagonal" : "cm-cell" });
      Object.assign(cell.dataset, { true: String(t), pred: String(p), count: String(count) });
      cell.tabIndex = -1;
      cell.title = describe(cell, rowTotals[t]);
      // Diagonal: share of the row read right; elsewhere: count against the largest mistake count.
      const heat = t === p ? (rowTotals[t] ? count / rowTotals[t] : 0) : Math.sqrt(count / offMax);
      cell.style.setProperty("--heat", heat.toFixed(3));
      // An empty-looking cell still says its 0 to a screen reader.
      cell.append(count ? String(count) : hidden("0"));
      cells.push(cell);
      tr.append(cell);
    });
    return tr;
  });
  const thead = document.createElement("thead");
  thead.append(head);
  const tbody = document.createElement("tbody");
  tbody.append(...rows);
  grid.replaceChildren(thead, tbody);
  grid.setAttribute("role", "grid");
  grid.setAttribute("aria-readonly", "true");
  grid.hidden = false;
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
