/* Search suggestions for every <form data-suggest> (the header's search box, the home page's): as you type,
 * the best matches among cities, people and topics, from GET /search (JSON). Without JavaScript the form
 * still submits to /search. The list follows the ARIA combobox pattern: arrow keys move, Enter opens,
 * Escape closes. Every name goes in through textContent.
 */
"use strict";

(function () {
  const GROUPS = { city: "Cities", person: "People", concept: "Topics" };
  let counter = 0;

  function element(name, attributes, text) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function attach(form) {
    const input = form.querySelector("input[type=search]");
    if (!input) return;
    const id = `suggestions-${++counter}`;
    const list = element("ul", { id, role: "listbox", class: "suggestions", "aria-label": "Suggestions" });
    list.hidden = true;
    form.append(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", id);
    input.setAttribute("aria-expanded", "false");
    let active = -1;
    let timer = null;
    let latest = 0;

    function options() {
      return [...list.querySelectorAll("[role=option]")];
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function select(index) {
      const all = options();
      all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
      active = index;
      if (index >= 0 && all[index]) input.setAttribute("aria-activedescendant", all[index].id);
      else input.removeAttribute("aria-activedescendant");
    }

    function render(results, query) {
      list.replaceChildren();
      let group = null;
      results.forEach((result, index) => {
        if (result.kind !== group) {
          group = result.kind;
          list.append(element("li", { role: "presentation", class: "group" }, GROUPS[group] || group));
        }
        const item = element("li", { role: "presentation" });
        const link = element("a", { href: result.href || "#", role: "option", id: `${id}-${index}`, "aria-selected": "false", tabindex: "-1" });
        link.append(element("span", {}, result.label));
        if (result.detail) link.append(element("span", { class: "detail" }, result.detail));
        item.append(link);
        list.append(item);
      });
      const all = element("li", { role: "presentation" });
      all.append(element("a", { href: `${form.action}?q=${encodeURIComponent(query)}`, role: "option", id: `${id}-all`, "aria-selected": "false", tabindex: "-1" },
        results.length ? `All results for “${query}”` : `No match for “${query}”: search anyway`));
      list.append(all);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    async function suggest() {
      const query = input.value.trim();
      if (query.length < 2) return close();
      const ticket = ++latest;
      const response = await fetch(`${form.action}?${new URLSearchParams({ q: query, limit: "6" })}`, { headers: { Accept: "application/json" } });
      if (!response.ok || ticket !== latest) return;
      const body = await response.json();
      if (ticket === latest && input.value.trim() === query) render(body.results, query);
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => suggest().catch(close), 120);
    });
    input.addEventListener("keydown", (event) => {
      const all = options();
      if (event.key === "ArrowDown" && !list.hidden) {
        event.preventDefault();
        select(Math.min(active + 1, all.length - 1));
      } else if (event.key === "ArrowUp" && !list.hidden) {
        event.preventDefault();
        select(Math.max(active - 1, 0));
      } else if (event.key === "Enter" && active >= 0 && all[active]) {
        event.preventDefault();
        window.location.assign(all[active].href);
      } else if (event.key === "Escape") {
        close();
      }
    });
    document.addEventListener("click", (event) => {
      if (!form.contains(event.target)) close();
    });
  }

  document.querySelectorAll("form[data-suggest]").forEach(attach);
})();
