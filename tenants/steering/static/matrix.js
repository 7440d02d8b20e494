// The benefit–ease matrix: Chart.js scatter from the page's JSON (no inline script), with
// the four quadrants labelled; a click on a dot opens the process.
(function () {
  "use strict";
  var canvas = document.getElementById("matrix-chart");
  var source = document.getElementById("matrix-data");
  if (!canvas || !source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var split = data.split;
  var quadrants = {
    id: "quadrants",
    beforeDatasetsDraw: function (chart) {
      var ctx = chart.ctx, x = chart.scales.x, y = chart.scales.y;
      var midX = x.getPixelForValue(split), midY = y.getPixelForValue(split);
      ctx.save();
      ctx.strokeStyle = "#747474";
      ctx.beginPath();
      ctx.moveTo(midX, y.top); ctx.lineTo(midX, y.bottom);
      ctx.moveTo(x.left, midY); ctx.lineTo(x.right, midY);
      ctx.stroke();
      ctx.fillStyle = "#1a1a1a";
      ctx.font = "bold 14px sans-serif";
      ctx.textAlign = "center";
      var labels = [
        [data.quadrants.quick_wins, (midX + x.right) / 2, y.top + 18],
        [data.quadrants.big_projects, (x.left + midX) / 2, y.top + 18],
        [data.quadrants.low_hanging, (midX + x.right) / 2, y.bottom - 8],
        [data.quadrants.consider, (x.left + midX) / 2, y.bottom - 8]
      ];
      labels.forEach(function (l) { ctx.fillText(l[0], l[1], l[2]); });
      ctx.restore();
    }
  };
  var chart = new Chart(canvas, {
    type: "scatter",
    data: { datasets: [{ data: data.points, backgroundColor: "#0059b3", pointRadius: 6, pointHoverRadius: 8 }] },
    options: {
      animation: false,
      scales: {
        x: { min: 0, max: 100, title: { display: true, text: data.axes.x } },
        y: { min: 0, max: 100, title: { display: true, text: data.axes.y } }
      },
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { label: function (c) { return c.raw.label; } } }
      },
      onClick: function (event, elements) {
        if (elements.length) { window.location.href = data.points[elements[0].index].url; }
      }
    },
    plugins: [quadrants]
  });
  canvas.dataset.rendered = String(chart.data.datasets[0].data.length);
})();
