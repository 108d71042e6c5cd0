/** Where a command writes: results on `out` (stdout), progress and errors on `err` (stderr). */
export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Whether `err` is a terminal that can redraw a status line in place. */
  live: boolean;
  /** The width of that terminal in characters, if it says; a redrawn line must fit in it. */
  columns?: number;
}

/** `--json`: exactly one JSON object, one line, on stdout, so scripts can parse stdout as a whole. */
export function printJson(output: Output, value: object): void {
  output.out(`${JSON.stringify(value)}\n`);
}

/** Aligned `name  value` rows, the shape every human-readable result uses. */
export function rows(entries: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...entries.map(([name]) => name.length));
  return entries.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

/** A header and rows as columns two spaces apart, each as wide as its widest cell (the last left ragged). */
export function columns(header: readonly string[], body: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((cells) => (cells[column] ?? '').length)),
  );
  return [header, ...body]
    .map((cells) =>
      cells
        .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  '),
    )
    .join('\n');
}

/** An ISO 8601 time without milliseconds (`2025-06-11T02:15:00Z`), or `-`. */
export function isoSeconds(date: Date | string | undefined | null): string {
  if (date === undefined || date === null) return '-';
  const time = typeof date === 'string' ? new Date(date) : date;
  if (Number.isNaN(time.getTime())) return String(date);
  return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
