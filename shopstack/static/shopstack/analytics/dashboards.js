/* Draws the analytics dashboards' charts with the vendored Chart.js, from the JSON each
   section's json_script element holds (analytics/dashboard/display.py: Chart.as_json), and
   makes the date picker friendlier. Loaded as a file: the Content-Security-Policy allows no
   inline script. Without JavaScript every number is still in the tables. */
(function () {
  "use strict";

  var locale = document.documentElement.lang || "en-GB";

  function cssVar(name, fallback) {
    var value = getComputedStyle(document.body).getPropertyValue(name).trim();
    return value || fallback;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    var whole = Math.round(seconds);
    if (whole < 60) return whole + " s";
    var minutes = Math.floor(whole / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    if (hours < 24) return hours + " h" + (minutes % 60 ? " " + (minutes % 60) + " min" : "");
    var days = Math.floor(hours / 24);
    return days + " d" + (hours % 24 ? " " + (hours % 24) + " h" : "");
  }

  function formatter(kind, currency, compact) {
    var options = compact ? { notation: "compact", maximumFractionDigits: 1 } : {};
    if (kind === "money") {
      var money = new Intl.NumberFormat(locale, Object.assign({ style: "currency", currency: currency }, options));
      return function (value) { return money.format(value); };
    }
    if (kind === "rate") return function (value) { return Number(value).toLocaleString(locale, { maximumFractionDigits: 2 }) + "%"; };
    if (kind === "ratio") return function (value) { return Number(value).toLocaleString(locale, { maximumFractionDigits: 2 }) + "×"; };
    if (kind === "duration") return duration;
    if (kind === "days") return function (value) { return Number(value).toLocaleString(locale, { maximumFractionDigits: 1 }) + " d"; };
    var number = new Intl.NumberFormat(locale, options);
    return function (value) { return number.format(value); };
  }

  var PALETTE = ["#417690", "#e0913a", "#5b9e6e", "#a45c9d", "#c9a227", "#4c8fd1", "#b5543c", "#7f8c8d", "#2f9a9a", "#8e6c3a"];

  // Colours by meaning where the chart names them (stock status), else the palette.
  var MEANINGS = { good: "--dash-good", warning: "--dash-warning", bad: "--dash-bad" };
  function sliceColours(spec, count) {
    if (!spec.colours) return PALETTE.slice(0, count);
    return spec.colours.map(function (name, index) {
      return MEANINGS[name] ? cssVar(MEANINGS[name], PALETTE[index]) : PALETTE[index % PALETTE.length];
    });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var text = cssVar("--body-fg", "#333");
    var grid = cssVar("--hairline-color", "#e8e8e8");
    var horizontal = spec.type === "hbar";
    var doughnut = spec.type === "doughnut";
    var axes = {};
    spec.datasets.forEach(function (data) { axes[data.axis] = axes[data.axis] || data.kind; });

    var datasets = spec.datasets.map(function (data, index) {
      var comparison = /comparison period/.test(data.label);
      var colour = comparison ? cssVar("--body-quiet-color", "#999") : PALETTE[index % PALETTE.length];
      var set = {
        label: data.label,
        data: data.values,
        kind: data.kind,
        borderColor: doughnut ? cssVar("--body-bg", "#fff") : colour,
        backgroundColor: doughnut ? sliceColours(spec, data.values.length) : colour,
        borderWidth: spec.type === "line" ? 2 : 1,
        pointRadius: spec.type === "line" && data.values.length > 40 ? 0 : 2,
        tension: 0.2,
      };
      if (comparison) set.borderDash = [5, 4];
      if (!doughnut && !horizontal) set.yAxisID = data.axis;
      if (horizontal) set.xAxisID = "x";
      return set;
    });

    var scales = {};
    if (!doughnut) {
      var valueAxis = function (kind, position, drawGrid) {
        return {
          position: position,
          beginAtZero: true,
          ticks: { color: text, callback: formatter(kind, spec.currency, true) },
          grid: { color: grid, drawOnChartArea: drawGrid },
        };
      };
      var labelAxis = { ticks: { color: text, autoSkip: true, maxRotation: 0 }, grid: { display: false } };
      if (horizontal) {
        var longest = canvas.parentElement.clientWidth < 500 ? 18 : 28;
        scales.x = valueAxis(spec.datasets[0].kind, "bottom", true);
        scales.y = Object.assign({}, labelAxis, {
          ticks: {
            color: text,
            autoSkip: false,
            callback: function (value) {
              var label = this.getLabelForValue(value);
              return label.length > longest ? label.slice(0, longest - 1) + "…" : label;
            },
          },
        });
      } else {
        scales.x = labelAxis;
        scales.y = valueAxis(axes.y || "count", "left", true);
        if (axes.y2) scales.y2 = valueAxis(axes.y2, "right", false);
      }
    }

    if (horizontal) {
      // Room for every bar: the box grows with the number of labels.
      canvas.parentElement.style.height = Math.max(160, spec.labels.length * spec.datasets.length * 18 + 70) + "px";
    }

    new Chart(canvas, {
      type: horizontal ? "bar" : spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: doughnut ? "nearest" : "index", intersect: false },
        scales: scales,
        plugins: {
          legend: { display: doughnut || spec.datasets.length > 1, labels: { color: text, boxWidth: 12 } },
          tooltip: {
            callbacks: {
              label: function (item) {
                var value = item.raw;
                var shown = value === null ? "–" : formatter(item.dataset.kind, spec.currency, false)(value);
                return (doughnut ? item.label : item.dataset.label) + ": " + shown;
              },
            },
          },
        },
      },
    });
    canvas.dataset.drawn = "true";
  }

  function picker() {
    var range = document.getElementById("id_range");
    if (!range) return;
    var dates = [document.getElementById("id_start"), document.getElementById("id_end")];
    // A preset and dates together are refused (one or the other): only custom sends dates.
    function sync() {
      var custom = range.value === "custom";
      dates.forEach(function (input) {
        if (!input) return;
        input.disabled = !custom;
        // Custom dates start from the period on show.
        if (custom && !input.value && input.dataset.default) input.value = input.dataset.default;
      });
    }
    range.addEventListener("change", sync);
    sync();
    var fold = document.getElementById("dash-picker");
    if (fold && window.matchMedia("(min-width: 768px)").matches) fold.open = true;
  }

  // Sections computed apart from the page (the overview by device and channel).
  function load(placeholder) {
    fetch(placeholder.dataset.part, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status + " " + response.statusText);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var section = holder.querySelector("section");
        if (!section) throw new Error("no section in the answer");
        // The chart's data element comes along with it (a JSON script is data, never run).
        Array.prototype.slice.call(holder.children).forEach(function (child) {
          placeholder.parentNode.insertBefore(child, placeholder);
        });
        placeholder.remove();
        section.querySelectorAll("canvas[data-chart]").forEach(draw);
      })
      .catch(function (error) {
        var note = placeholder.querySelector(".dash-loading");
        placeholder.setAttribute("aria-busy", "false");
        if (note) note.textContent = "This part could not be worked out (" + error.message + "). Reload to try again.";
      });
  }

  function start() {
    picker();
    document.querySelectorAll("canvas[data-chart]").forEach(draw);
    document.querySelectorAll("[data-part]").forEach(load);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
