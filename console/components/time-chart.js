import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { html } from "../html.js";

const plain = (value) => String(value);

/**
 * A uPlot chart of one series over time. `points` are [seconds since the epoch, value] pairs, oldest
 * first; `bars` draws columns (per-hour counts) instead of a line.
 */
export function TimeChart({ title, points, label, bars = false, format = plain }) {
  const box = useRef(null);
  useEffect(() => {
    if (box.current === null) return undefined;
    const data = [points.map((point) => point[0]), points.map((point) => point[1])];
    const series = { label, stroke: "#2563eb", fill: "rgba(37, 99, 235, 0.25)", value: (_u, value) => (value == null ? "" : format(value)) };
    if (bars) series.paths = uPlot.paths.bars({ size: [0.9, 12] });
    const width = Math.max(320, box.current.clientWidth);
    const chart = new uPlot(
      { width, height: 180, series: [{}, series], axes: [{}, { size: 70, values: (_u, ticks) => ticks.map(format) }], legend: { show: true } },
      data,
      box.current,
    );
    return () => chart.destroy();
  }, [points, label, bars, format]);
  return html`<figure class="chart"><figcaption>${title}</figcaption><div ref=${box}></div></figure>`;
}

/** Rows keyed by hour start (RFC 3339) as points, one per hour of the window, hours without runs as 0. */
export function hourlyPoints(rows, since, until, valueAt) {
  const byHour = new Map(rows.map((row) => [Math.floor(Date.parse(row.key) / 3_600_000), valueAt(row)]));
  const points = [];
  for (let hour = Math.floor(since / 3_600_000); hour <= Math.floor(until / 3_600_000); hour += 1) {
    points.push([hour * 3600, byHour.get(hour) ?? 0]);
  }
  return points;
}
