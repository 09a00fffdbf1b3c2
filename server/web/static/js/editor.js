/* The SPARQL editor page (/sparql in a browser): the vendored YASGUI, set up from the JSON block #editor-config
 * (server/web/views/editor.py) so that it never reaches another host:
 *   - YASQE's `property` and `class` completers ask lov.linkeddata.es: only `variables` and `prefixes` are kept,
 *     and prefixes are completed from our /prefixes.json, not prefix.cc. This must change Yasqe.defaults before
 *     construction (YASGUI merges arrays index by index, so a config cannot drop an entry);
 *   - the endpoint picker lists our endpoint only, and a permalink's &endpoint= is overridden;
 *   - the endpoint is an absolute URL (YASGUI resolves it against nothing).
 * The canned queries open as example tabs; results show as table, chart (js/yasr-chart.js) or response.
 */
"use strict";

window.citykgEditor = (function () {
  const config = JSON.parse(document.getElementById("editor-config").textContent);
  const ENDPOINT = new URL(config.endpoint, window.location.href).href;
  const byName = new Map(config.examples.map((example) => [example.name, example]));

  Yasgui.Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  Yasgui.Yasr.registerPlugin("chart", YasrChart);
  Yasgui.Yasr.defaults.pluginOrder = ["table", "chart", "response"];
  Yasgui.Yasr.defaults.prefixes = config.prefixes; // IRIs shown as city:medellin in the table

  const ourEndpoint = (requestConfig) => ({ ...requestConfig, endpoint: ENDPOINT });
  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: {
      endpoint: ENDPOINT,
      method: "POST",
      acceptHeaderGraph: "text/turtle,*/*;q=0.9",
    },
    endpointCatalogueOptions: { getData: () => [{ endpoint: ENDPOINT }] },
    populateFromUrl: (tab) => ({ ...tab, requestConfig: ourEndpoint(tab.requestConfig) }),
    copyEndpointOnNewTab: false,
    yasqe: { value: config.defaultQuery, prefixCcApi: new URL(config.prefixesUrl, window.location.href).href },
    persistenceId: "citykg-editor",
  });

  function tabNamed(name) {
    const id = yasgui.persistentConfig.getTabs().find((tabId) => yasgui.getTab(tabId).getName() === name);
    return id === undefined ? null : yasgui.getTab(id);
  }

  /** Open a canned query in its own tab (or go back to the tab it is already in). */
  function openExample(name, select) {
    const example = byName.get(name);
    if (!example) return null;
    const existing = tabNamed(example.name);
    if (existing) {
      if (select) yasgui.selectTabId(existing.getId());
      return existing;
    }
    return yasgui.addTab(select, { name: example.name, yasqe: { value: example.query }, requestConfig: { endpoint: ENDPOINT } });
  }

  // Tabs restored from an earlier visit keep their queries, but always run here.
  for (const id of yasgui.persistentConfig.getTabs()) yasgui.getTab(id).setEndpoint(ENDPOINT);
  const firstVisit = yasgui.persistentConfig.getTabs().length <= 1 && !window.location.hash;
  if (firstVisit) for (const name of config.featured) openExample(name, false);

  for (const button of document.querySelectorAll("button[data-example]")) {
    button.addEventListener("click", () => {
      openExample(button.dataset.example, true);
      const editor = yasgui.getTab().getYasqe();
      if (editor) editor.focus();
    });
  }
  return { yasgui, openExample, endpoint: ENDPOINT };
})();
