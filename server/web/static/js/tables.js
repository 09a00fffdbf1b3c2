/* Sortable tables in the page: every <table data-sortable> gets a button in each column header that sorts its
 * rows (numbers by value, using a cell's data-value when it has one; text by locale), and says so with
 * aria-sort. Tables of canned-query answers sort on the server instead (links in their headers), since they
 * come in pages.
 */
"use strict";

(function () {
  const collator = new Intl.Collator(undefined, { sensitivity: "base", numeric: true });

  function value(cell) {
    const raw = cell ? (cell.dataset.value ?? cell.textContent.trim()) : "";
    const number = raw === "" ? NaN : Number(raw.replace(/,/g, ""));
    return { raw, number };
  }

  function compare(a, b) {
    const bothNumbers = !Number.isNaN(a.number) && !Number.isNaN(b.number);
    if (bothNumbers) return a.number - b.number;
    if (a.raw === "" || b.raw === "") return a.raw === "" ? 1 : -1; // empty cells last
    return collator.compare(a.raw, b.raw);
  }

  function sortBy(table, column, header) {
    const body = table.tBodies[0];
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    const rows = [...body.rows];
    rows.sort((r1, r2) => {
      const result = compare(value(r1.cells[column]), value(r2.cells[column]));
      return ascending ? result : -result;
    });
    body.append(...rows);
    for (const th of table.tHead.rows[0].cells) th.removeAttribute("aria-sort");
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function enhance(table) {
    if (!table.tHead || !table.tBodies.length) return;
    [...table.tHead.rows[0].cells].forEach((header, column) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = header.textContent.trim();
      button.setAttribute("aria-label", `${button.textContent}: sort`);
      button.addEventListener("click", () => sortBy(table, column, header));
      header.replaceChildren(button);
    });
  }

  document.querySelectorAll("table[data-sortable]").forEach(enhance);
})();
