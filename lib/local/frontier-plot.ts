import type { StrategyResult } from './benchmark';

/**
 * An SVG scatter plot of the cost/latency frontier: one point per strategy, cost per waited job-hour
 * against median detection latency, both on log scales (the strategies span orders of magnitude).
 */
export function frontierSvg(strategies: readonly StrategyResult[], title: string): string {
  const width = 760;
  const height = 460;
  const margin = { left: 90, right: 30, top: 50, bottom: 60 };
  const points = strategies.filter((s) => Number.isFinite(s.p50DetectionSeconds) && s.costPerJobHourUsd > 0);
  const xs = points.map((s) => Math.max(1, s.p50DetectionSeconds));
  const ys = points.map((s) => s.costPerJobHourUsd);
  const logRange = (values: number[]) => {
    const low = Math.floor(Math.log10(Math.min(...values)));
    const high = Math.ceil(Math.log10(Math.max(...values)));
    return [low, high === low ? high + 1 : high] as const;
  };
  const [xLow, xHigh] = logRange(xs);
  const [yLow, yHigh] = logRange(ys);
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (value: number) => margin.left + ((Math.log10(value) - xLow) / (xHigh - xLow)) * plotWidth;
  const y = (value: number) =>
    margin.top + plotHeight - ((Math.log10(value) - yLow) / (yHigh - yLow)) * plotHeight;
  const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${escapeXml(title)}</text>`,
  ];
  for (let e = xLow; e <= xHigh; e++) {
    const px = x(10 ** e);
    parts.push(
      `<line x1="${px}" y1="${margin.top}" x2="${px}" y2="${margin.top + plotHeight}" stroke="#ddd"/>`,
    );
    parts.push(
      `<text x="${px}" y="${margin.top + plotHeight + 18}" text-anchor="middle">${10 ** e} s</text>`,
    );
  }
  for (let e = yLow; e <= yHigh; e++) {
    const py = y(10 ** e);
    parts.push(
      `<line x1="${margin.left}" y1="${py}" x2="${margin.left + plotWidth}" y2="${py}" stroke="#ddd"/>`,
    );
    parts.push(
      `<text x="${margin.left - 8}" y="${py + 4}" text-anchor="end">$${(10 ** e).toPrecision(1)}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
    `<text x="${margin.left + plotWidth / 2}" y="${height - 16}" text-anchor="middle">median detection latency (log scale; lower is better)</text>`,
    `<text transform="translate(22 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">cost per waited job-hour, USD (log scale; lower is better)</text>`,
  );
  // Where labels were put: one that would sit on an earlier one moves a line down, below its point.
  const placed: { x: number; y: number }[] = [];
  const LINE = 14;
  points.forEach((strategy, index) => {
    const px = x(xs[index] as number);
    const py = y(ys[index] as number);
    const isDefault = strategy.name === 'stepwait-default';
    // The default's label goes below its point, so it never sits on a neighbour's.
    let labelY = isDefault ? py + 20 : py - 8;
    while (placed.some((label) => Math.abs(label.x - (px + 10)) < 120 && Math.abs(label.y - labelY) < LINE)) {
      labelY += LINE;
    }
    placed.push({ x: px + 10, y: labelY });
    parts.push(
      `<circle cx="${px}" cy="${py}" r="${isDefault ? 7 : 5}" fill="${isDefault ? '#d62728' : '#1f77b4'}"/>`,
      isDefault
        ? `<text x="${px + 10}" y="${labelY}" font-weight="bold">${escapeXml(strategy.name)}</text>`
        : `<text x="${px + 10}" y="${labelY}">${escapeXml(strategy.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
