/** A command line that cannot be run as given: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const DURATION_UNITS = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;
type DurationUnit = keyof typeof DURATION_UNITS;

/** The same duration in the largest unit that says it exactly: 31449600 -> "364d", 5400 -> "90m". */
export function compactDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = DURATION_UNITS[unit];
    if (seconds !== 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * What a value that is not taken was: said after "got ...", so a message names the problem as well as
 * the value (a negative or fractional number reads as a typo otherwise).
 */
function whatCame(value: string, problem: string | undefined): string {
  return `got "${value}"${problem === undefined ? '' : `, which is ${problem}`}`;
}

/**
 * Whole seconds from `7200`, `90s`, `30m`, `2h` or `1d`, from `min` to `max` seconds. Negative,
 * fractional and out-of-range values are refused with a message naming the option, what it takes and
 * what came.
 * @throws UsageError naming the option
 */
export function parseDurationSeconds(
  value: string,
  option: string,
  min = 1,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const range =
    max === Number.MAX_SAFE_INTEGER
      ? `${compactDuration(min)} or more`
      : `from ${compactDuration(min)} to ${compactDuration(max)}`;
  const expected = `${option}: expected whole seconds or a duration like 90s, 30m, 2h, 1d, ${range}`;
  const match = /^(-?)(\d+(?:\.\d+)?|\.\d+)([smhd]?)$/.exec(value.trim());
  if (match === null) throw new UsageError(`${expected}; ${whatCame(value, undefined)}`);
  const [, sign, amount, unit] = match as unknown as [string, string, string, DurationUnit | ''];
  const seconds = Number(amount) * DURATION_UNITS[unit || 's'];
  if (sign === '-' && seconds !== 0) throw new UsageError(`${expected}; ${whatCame(value, 'negative')}`);
  if (!Number.isInteger(Number(amount))) {
    // 1.5h is a whole number of seconds: say how to write it; 0.5s is not one at all.
    const instead = Number.isInteger(seconds) ? ` (write ${compactDuration(seconds)})` : '';
    throw new UsageError(`${expected}; ${whatCame(value, `not a whole number${instead}`)}`);
  }
  if (seconds < min) {
    throw new UsageError(`${option}: must be at least ${compactDuration(min)}, got "${value}" (${range})`);
  }
  if (seconds > max) {
    throw new UsageError(`${option}: must be at most ${compactDuration(max)}, got "${value}" (${range})`);
  }
  return seconds;
}

/**
 * A whole number from `min` to `max` (`--max 50`); negative, fractional and out-of-range values are
 * refused with a message naming the option, the range and what came.
 * @throws UsageError naming the option
 */
export function parseWholeNumber(value: string, option: string, min: number, max: number): number {
  const trimmed = value.trim();
  const number = /^-?(\d+(\.\d+)?|\.\d+)$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (Number.isInteger(number) && number >= min && number <= max) return number;
  const problem = Number.isNaN(number)
    ? undefined
    : number < 0
      ? 'negative'
      : !Number.isInteger(number)
        ? 'not a whole number'
        : number < min
          ? `below ${min}`
          : `above ${max}`;
  const expected = `${option}: expected a whole number from ${min} to ${max}`;
  throw new UsageError(`${expected}, ${whatCame(value, problem)}`);
}

/**
 * `--timeout -1h` as `--timeout=-1h`. node:util parseArgs calls a value that starts with "-" ambiguous
 * and refuses it with a hint about `=`; but no option name starts with a digit, so such a value is a
 * (negative) number meant for the option, and the option's own check should refuse it, saying what is
 * allowed. Flags and anything after `--` are left alone.
 */
export function attachNegativeValues(args: readonly string[], stringOptions: ReadonlySet<string>): string[] {
  const attached: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === '--') {
      attached.push(...args.slice(index));
      break;
    }
    const next = args[index + 1];
    if (
      /^--[^=]+$/.test(arg) &&
      stringOptions.has(arg.slice(2)) &&
      next !== undefined &&
      /^-\.?\d/.test(next)
    ) {
      attached.push(`${arg}=${next}`);
      index += 1;
    } else {
      attached.push(arg);
    }
  }
  return attached;
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
