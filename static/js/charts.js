/*
 * Draws the page's plotly charts.
 *
 * A chart is a <div data-chart="ID"> plus the JSON block Django's json_script filter writes:
 * <script type="application/json" id="ID">{"data": [...], "layout": {...}}</script>.
 * JSON blocks are never executed, so the Content-Security-Policy needs no inline script.
 *
 * Dark mode (static/js/theme.js): the house layout gets dark axes, fonts and hover labels, and
 * the few colours the charts pick for a light page (flow-change markers, target lines, label
 * backgrounds) are swapped for lighter twins; a "themechange" event redraws every chart.
 */
(function () {
  "use strict";

  var FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
  // Colour-blind-safe series colours (Okabe–Ito based); dashboards/charts.py uses the same.
  var COLORWAY = ["#2f5bd3", "#e69f00", "#56b4e9", "#009e73", "#cc79a7", "#d55e00", "#0072b2"];

  var BASE_LAYOUT = {
    font: { family: FONT, size: 12, color: "#3d4652" },
    colorway: COLORWAY,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    margin: { l: 48, r: 16, t: 12, b: 36 },
    showlegend: false,
    hoverlabel: { font: { family: FONT, size: 12 }, bgcolor: "#1d232b", bordercolor: "#1d232b" },
    xaxis: { gridcolor: "#eef0f3", linecolor: "#cfd4da", zeroline: false, automargin: true },
    yaxis: { gridcolor: "#eef0f3", linecolor: "#cfd4da", zeroline: false, automargin: true }
  };

  var DARK_LAYOUT = {
    font: { color: "#c3cad2" },
    hoverlabel: { bgcolor: "#e4e8ec", bordercolor: "#e4e8ec", font: { color: "#0f1318" } },
    xaxis: { gridcolor: "#262e37", linecolor: "#3b4551" },
    yaxis: { gridcolor: "#262e37", linecolor: "#3b4551" }
  };

  // Colours chosen in dashboards/*charts.py for a light page -> their dark-page twins.
  var DARK_COLOURS = {
    "#6b4fa0": "#b9a0e6", // flow-version change markers
    "#9a4a00": "#f2ad66", // target lines
    "#9b1c1c": "#f39595", // breach annotations
    "#d97706": "#f2ad66", // warning lines
    "#2f5bd3": "#86a6f2", // the accent series
    "#7b8591": "#8d97a3",
    "rgba(255,255,255,0.85)": "rgba(23,28,34,0.85)"
  };

  function isDark() {
    return typeof window.routingHealthTheme === "function" && window.routingHealthTheme() === "dark";
  }

  // A copy of ``value`` with every DARK_COLOURS key (in any string position) swapped.
  function darken(value) {
    if (typeof value === "string") {
      var twin = DARK_COLOURS[value.toLowerCase().replace(/\s+/g, "")];
      return twin || value;
    }
    if (Array.isArray(value)) return value.map(darken);
    if (isObject(value)) {
      var out = {};
      Object.keys(value).forEach(function (key) { out[key] = darken(value[key]); });
      return out;
    }
    return value;
  }

  var CONFIG = {
    displaylogo: false,
    responsive: true,
    showSendToCloud: false,
    displayModeBar: "hover",
    modeBarButtonsToRemove: ["select2d", "lasso2d", "autoScale2d", "toggleSpikelines"],
    toImageButtonOptions: { format: "png", scale: 2 }
  };

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  // Layout from the page wins; nested objects (axes, fonts) are merged, not replaced.
  function merge(base, extra) {
    var out = {};
    Object.keys(base).forEach(function (key) { out[key] = base[key]; });
    Object.keys(extra || {}).forEach(function (key) {
      out[key] = isObject(out[key]) && isObject(extra[key]) ? merge(out[key], extra[key]) : extra[key];
    });
    return out;
  }

  function showProblem(target, message) {
    target.classList.add("chart--problem");
    target.textContent = message;
  }

  function draw(target) {
    var id = target.getAttribute("data-chart");
    var source = id ? document.getElementById(id) : null;
    if (!source || source.type !== "application/json") {
      showProblem(target, "Chart data missing.");
      return;
    }
    var spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (err) {
      showProblem(target, "Chart data could not be read.");
      return;
    }
    if (!window.Plotly) {
      showProblem(target, "Charts could not be loaded.");
      return;
    }
    target.classList.add("chart--ready");
    target.rhSpec = spec;
    plot(target, window.Plotly.newPlot);
  }

  function plot(target, how) {
    var spec = target.rhSpec;
    var dark = isDark();
    var data = dark ? darken(spec.data || []) : spec.data || [];
    var layout = merge(BASE_LAYOUT, spec.layout);
    if (dark) layout = merge(darken(layout), DARK_LAYOUT);
    target.setAttribute("data-chart-theme", dark ? "dark" : "light");
    how.call(window.Plotly, target, data, layout, CONFIG);
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), draw);
  }

  document.addEventListener("themechange", function () {
    if (!window.Plotly) return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (target) {
      if (target.rhSpec) plot(target, window.Plotly.react);
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
