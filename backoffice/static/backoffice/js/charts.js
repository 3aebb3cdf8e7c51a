/* Charts of the dashboard and the reports (backoffice/partials/chart.html).
 *
 * unfold creates the Chart.js charts on window "load" with its own defaults. Once it has,
 * this lays each wrapper's data-chart-options over them (a legend, a y-axis from zero, ...)
 * and makes a click on a point or a bar open the link its dataset carries
 * (dataset.links[index]: the filtered list behind that figure).
 */
(function () {
	"use strict";
	if (window.backofficeCharts) {
		return; // the partial may be included more than once on a page
	}

	const isPlain = (value) =>
		value !== null && typeof value === "object" && !Array.isArray(value);

	// unfold shares one options object between all charts of a page: copy before
	// changing it (functions, such as unfold's scriptable options, are kept as they are)
	const copy = (value) => {
		if (Array.isArray(value)) {
			return value.map(copy);
		}
		if (!isPlain(value)) {
			return value;
		}
		const out = {};
		for (const key of Object.keys(value)) {
			out[key] = copy(value[key]);
		}
		return out;
	};

	const merge = (target, extra) => {
		for (const [key, value] of Object.entries(extra)) {
			if (isPlain(value) && isPlain(target[key])) {
				merge(target[key], value);
			} else {
				target[key] = copy(value);
			}
		}
		return target;
	};

	// the bar or point under the pointer, else the nearest one (a low bar is small)
	const elementAt = (chart, event) => {
		const hit = chart.getElementsAtEventForMode(event, "nearest", { intersect: true }, false);
		if (hit.length) {
			return hit[0];
		}
		const near = chart.getElementsAtEventForMode(event, "nearest", { intersect: false }, false);
		return near.length ? near[0] : null;
	};

	const linkAt = (chart, event) => {
		const element = elementAt(chart, event);
		if (!element) {
			return null;
		}
		const links = chart.data.datasets[element.datasetIndex].links || [];
		return links[element.index] || null;
	};

	const enhance = (wrapper) => {
		const canvas = wrapper.querySelector("canvas.chart");
		const chart = canvas && window.Chart ? window.Chart.getChart(canvas) : null;
		if (!chart || wrapper.dataset.chartReady) {
			return;
		}
		// the raw options unfold passed (chart.options is Chart.js's resolved view of them)
		const options = merge(copy(chart.config.options), JSON.parse(wrapper.dataset.chartOptions || "{}"));
		options.onClick = (event) => {
			const link = linkAt(chart, event);
			if (link) {
				window.location.assign(link);
			}
		};
		options.onHover = (event) => {
			canvas.style.cursor = linkAt(chart, event) ? "pointer" : "";
		};
		chart.options = options;
		chart.update();
		wrapper.dataset.chartReady = "1";
	};

	const enhanceAll = () => {
		for (const wrapper of document.querySelectorAll("[data-chart-options]")) {
			enhance(wrapper);
		}
	};

	window.backofficeCharts = { enhanceAll, linkAt };
	// unfold's app.js (in the head) registered its "load" listener first: ours runs after
	// the charts exist
	if (document.readyState === "complete") {
		enhanceAll();
	} else {
		window.addEventListener("load", enhanceAll);
	}
})();
