/** A command line that cannot be run as given: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** Whole seconds from `7200`, `90s`, `30m`, `2h` or `1d`. @throws UsageError naming the option */
export function parseDurationSeconds(value: string, option: string, min = 1): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (match === null) {
    throw new UsageError(
      `${option}: expected whole seconds or a duration like 90s, 30m, 2h, 1d; got "${value}"`,
    );
  }
  const seconds = Number(match[1]) * (DURATION_UNITS[match[2] || 's'] as number);
  if (seconds < min) throw new UsageError(`${option}: must be at least ${min} second(s), got "${value}"`);
  return seconds;
}

/** "2h 0m 5s" */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.round(totalSeconds);
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  const s = seconds % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}
