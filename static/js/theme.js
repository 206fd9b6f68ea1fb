/*
 * The colour theme: light, dark or the system's choice (prefers-color-scheme), remembered in
 * this browser's localStorage only (no server state).
 *
 * Loaded in <head> without defer so <html data-theme> is set before the first paint (no flash
 * of the wrong theme); the switch in the top bar is wired once the page has loaded. A change
 * (from the switch or the system) fires a "themechange" event on document, which charts.js
 * answers by restyling its charts.
 */
(function () {
  "use strict";

  var KEY = "routing-health-theme";
  var CHOICES = ["light", "dark", "system"];
  var root = document.documentElement;
  var media = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return CHOICES.indexOf(value) >= 0 ? value : "system";
    } catch (err) {
      return "system"; // storage blocked: follow the system
    }
  }

  function effective(choice) {
    if (choice === "light" || choice === "dark") return choice;
    return media && media.matches ? "dark" : "light";
  }

  function apply(choice) {
    if (choice === "system") {
      root.removeAttribute("data-theme");
    } else {
      root.setAttribute("data-theme", choice);
    }
    root.setAttribute("data-theme-effective", effective(choice));
    Array.prototype.forEach.call(document.querySelectorAll("[data-theme-choice]"), function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-theme-choice") === choice ? "true" : "false");
    });
    document.dispatchEvent(new CustomEvent("themechange", { detail: { theme: effective(choice) } }));
  }

  function choose(choice) {
    try {
      if (choice === "system") {
        window.localStorage.removeItem(KEY);
      } else {
        window.localStorage.setItem(KEY, choice);
      }
    } catch (err) {
      // storage blocked: the choice lasts for this page only
    }
    apply(choice);
  }

  // The theme the page is drawn in ("light" or "dark"), for charts.js.
  window.routingHealthTheme = function () { return effective(stored()); };

  apply(stored());

  if (media) {
    var follow = function () { if (stored() === "system") apply("system"); };
    if (media.addEventListener) media.addEventListener("change", follow);
    else if (media.addListener) media.addListener(follow);
  }

  function wire() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-theme-choice]"), function (b) {
      b.addEventListener("click", function () { choose(b.getAttribute("data-theme-choice")); });
    });
    apply(stored());
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
