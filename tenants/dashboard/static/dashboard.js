// The dashboard's charts, drawn from the JSON the page carries (#dashboard-data): the CSP
// allows no inline script. Every chart's numbers are also in the table below it.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var palette = ["#0059b3", "#358000", "#b35900", "#7a3db8", "#008486", "#b8003d", "#5c5c5c"];
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var base = { responsive: true, maintainAspectRatio: false, animation: reduced ? false : undefined };

  function bar(id, chart, horizontal) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: [{ label: chart.title, data: chart.values, backgroundColor: palette[0] }],
      },
      options: Object.assign({}, base, {
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: false } },
        scales: { x: { beginAtZero: true }, y: { beginAtZero: true, ticks: { precision: 0 } } },
      }),
    });
  }

  function series(id, type, chart) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    new window.Chart(canvas, {
      type: type,
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (s, i) {
          return {
            label: s.label,
            data: s.values,
            borderColor: palette[i % palette.length],
            backgroundColor: palette[i % palette.length],
          };
        }),
      },
      options: Object.assign({}, base, { scales: { y: { beginAtZero: true } } }),
    });
  }

  bar("chart-phases", data.phases, true);
  bar("chart-statuses", data.statuses, true);
  series("chart-trend", "line", data.trend);
  series("chart-benefit", "bar", data.benefit);
  bar("chart-technologies", data.technologies, true);
  bar("chart-vendors", data.vendors, true);
})();
