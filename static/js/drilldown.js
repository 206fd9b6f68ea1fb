/*
 * Click-through on charts: a chart <div> with data-drilldown-url="…{x}…{y}…" navigates to that
 * URL when a point is clicked, {x} and {y} replaced by the point's (URL-encoded) coordinates —
 * on the Segments heatmaps, tier and region. A point whose x or y equals data-drilldown-blank
 * (the label of an empty region or tier) or has no value is not a link.
 *
 * Loaded after charts.js (both deferred, so in order): the charts are drawn by then. Every
 * cell also has a plain link in the table under its chart, so nothing depends on this script.
 */
(function () {
  "use strict";

  var ATTEMPTS = 40;

  function target(template, point) {
    return template
      .split("{x}").join(encodeURIComponent(String(point.x)))
      .split("{y}").join(encodeURIComponent(String(point.y)));
  }

  function bind(chart) {
    if (chart.getAttribute("data-drilldown-bound") === "1") {
      return true;
    }
    if (typeof chart.on !== "function") {
      return false; // not drawn yet
    }
    chart.setAttribute("data-drilldown-bound", "1");
    chart.classList.add("chart--clickable");
    chart.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var template = chart.getAttribute("data-drilldown-url");
      var blank = chart.getAttribute("data-drilldown-blank");
      if (!point || !template || point.z === null || point.z === undefined) {
        return;
      }
      if (blank && (String(point.x) === blank || String(point.y) === blank)) {
        return;
      }
      window.location.assign(target(template, point));
    });
    return true;
  }

  function bindAll(left) {
    var charts = document.querySelectorAll("[data-drilldown-url]");
    var pending = Array.prototype.filter.call(charts, function (chart) { return !bind(chart); });
    if (pending.length && left > 0) {
      window.setTimeout(function () { bindAll(left - 1); }, 100);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { bindAll(ATTEMPTS); });
  } else {
    bindAll(ATTEMPTS);
  }
})();
