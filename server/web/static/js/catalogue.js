/* Filters a gallery of canned queries as you type: <input data-filter="LIST-ID"> hides the cards of the list whose
 * text lacks a word of the input, <a data-tag="TAG"> pills keep one tag, and <output data-count="LIST-ID"> says how
 * many are left. The server applies the same rule to ?q= and ?tag= (queries.matches), so links and the page
 * without JavaScript agree with it.
 */
"use strict";

(function () {
  function filter(list, input, tag) {
    const words = input.value.toLocaleLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const card of list.querySelectorAll("[data-text]")) {
      const text = card.dataset.text.toLocaleLowerCase();
      const tags = (card.dataset.tags || "").split(" ");
      const visible = words.every((word) => text.includes(word)) && (!tag || tags.includes(tag));
      card.hidden = !visible;
      if (visible) shown++;
    }
    const count = document.querySelector(`[data-count="${list.id}"]`);
    if (count) count.textContent = `${shown} ${shown === 1 ? "query" : "queries"}`;
  }

  for (const input of document.querySelectorAll("input[data-filter]")) {
    const list = document.getElementById(input.dataset.filter);
    if (!list) continue;
    let tag = input.form ? (new FormData(input.form).get("tag") || "") : "";
    input.addEventListener("input", () => filter(list, input, tag));
    if (input.form) input.form.addEventListener("submit", (event) => { event.preventDefault(); filter(list, input, tag); });
    for (const pill of document.querySelectorAll(`a[data-tag][data-for="${list.id}"]`)) {
      pill.addEventListener("click", (event) => {
        event.preventDefault();
        tag = pill.dataset.tag;
        document.querySelectorAll(`a[data-tag][data-for="${list.id}"]`).forEach((p) => {
          p.classList.toggle("pill--current", p === pill);
          if (p === pill) p.setAttribute("aria-current", "true");
          else p.removeAttribute("aria-current");
        });
        filter(list, input, tag);
      });
    }
  }
})();
