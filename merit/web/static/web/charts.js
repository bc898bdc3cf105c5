// Draws every <div data-chart="URL"> with ECharts from the JSON option its URL returns
// ({option, points}). A chart with nothing to draw says so instead of showing empty axes.
// After drawing, the element carries data-points (how many values were drawn) and
// data-state="drawn" | "empty" | "failed", which the browser tests read.
(function () {
  "use strict";
  function draw(el) {
    fetch(el.dataset.chart, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (data) {
        el.dataset.points = String(data.points);
        if (!data.points) {
          el.dataset.state = "empty";
          el.classList.add("chart-empty");
          el.textContent = el.dataset.emptyText || "—";
          return;
        }
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption(data.option);
        el.dataset.state = "drawn";
        window.addEventListener("resize", function () { chart.resize(); });
      })
      .catch(function () {
        el.dataset.state = "failed";
        el.classList.add("chart-empty");
        el.textContent = el.dataset.failedText || "×";
      });
  }
  function drawAll() {
    document.querySelectorAll("[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();
