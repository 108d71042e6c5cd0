import type { WaiterConfig } from './types';

/**
 * How long to wait after an attempt, in whole seconds (a Wait state takes whole seconds).
 * - fixed: a whole number drawn uniformly from max(1, `delay` - `jitter`) to `delay` + `jitter`, both
 *   included; `delay` >= 1 and 0 <= `jitter` <= `delay` (default 0). Airflow's JobExists is delay 2 with
 *   jitter 2: its `uniform(max(1, d - 2), d + 2)` gives 1 to 4 s. A delay of 0 or a jitter above the delay
 *   is refused rather than quietly turned into something else.
 * - exponential: full jitter between `minDelay` and a ceiling doubling per attempt, capped at `maxDelay`
 *   (@smithy/util-waiter's `exponentialBackoffWithJitter`); 1 <= `minDelay` <= `maxDelay`.
 */
export type DelayStrategy =
  | { kind: 'fixed'; delay: number; jitter?: number }
  | { kind: 'exponential'; minDelay: number; maxDelay: number };

/** The longest delay accepted: a Standard execution lives at most one year. */
export const MAX_DELAY_SECONDS = 31_536_000;

/** Airflow's jitter for its Batch waiters (BatchWaitersHook.wait_for_job): +/- 2 s. */
export const DEFAULT_JITTER_SECONDS = 2;

export class DelayStrategyError extends Error {
  override readonly name = 'DelayStrategyError';

  constructor(
    /** What was wrong and what was expected. */
    readonly detail: string,
    /** Which field, e.g. `delay.JobComplete.maxDelay`. */
    readonly field: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

function requireWholeSeconds(value: unknown, min: number, field: string): void {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > MAX_DELAY_SECONDS) {
    throw new DelayStrategyError(
      `expected whole seconds from ${min} to ${MAX_DELAY_SECONDS}, got ${JSON.stringify(value)}`,
      field,
    );
  }
}

/**
 * Which rules a strategy must meet. `current`: what new configs and requests must meet. `in-flight`: also
 * what stepwait 0.1.0 accepted (a fixed delay of 0, a jitter above the delay), for the configs and carried
 * overrides of waits started before the rules tightened: refusing them would end those waits at their next
 * poll. `nextDelaySeconds` keeps such delays at 1 s or more.
 */
export type DelayRules = 'current' | 'in-flight';

/** Checks a strategy from untrusted input; `field` prefixes the names in the error. */
export function validateDelayStrategy(
  strategy: unknown,
  field = 'delay',
  rules: DelayRules = 'current',
): asserts strategy is DelayStrategy {
  if (typeof strategy !== 'object' || strategy === null) {
    throw new DelayStrategyError(`expected a delay strategy object, got ${JSON.stringify(strategy)}`, field);
  }
  const value = strategy as Record<string, unknown>;
  if (value.kind === 'fixed') {
    requireWholeSeconds(value.delay, rules === 'current' ? 1 : 0, `${field}.delay`);
    if (value.jitter !== undefined) {
      requireWholeSeconds(value.jitter, 0, `${field}.jitter`);
      // Past the delay, the low end max(1, delay - jitter) sticks at 1 s while the high end keeps growing:
      // not the +/- spread the numbers say.
      if (rules === 'current' && (value.jitter as number) > (value.delay as number)) {
        throw new DelayStrategyError(
          `must be <= delay (${value.delay}), got ${value.jitter}`,
          `${field}.jitter`,
        );
      }
    }
  } else if (value.kind === 'exponential') {
    requireWholeSeconds(value.minDelay, 1, `${field}.minDelay`);
    requireWholeSeconds(value.maxDelay, 1, `${field}.maxDelay`);
    if ((value.maxDelay as number) < (value.minDelay as number)) {
      throw new DelayStrategyError(
        `must be >= minDelay (${value.minDelay}), got ${value.maxDelay}`,
        `${field}.maxDelay`,
      );
    }
  } else {
    throw new DelayStrategyError(
      `expected kind "fixed" or "exponential", got ${JSON.stringify(value.kind)}`,
      `${field}.kind`,
    );
  }
}

/**
 * The strategy a waiter gets unless told otherwise: its own delay with Airflow's +/- 2 s jitter. A waiter
 * model may say `delay: 0` (botocore allows it) or 1; a Wait still takes at least 1 s and the jitter stays
 * within the delay, so those become 1 s with a jitter of at most the delay, a strategy that validates.
 */
export function defaultDelayStrategy(waiter: Pick<WaiterConfig, 'delay'>): DelayStrategy {
  const delay = Math.max(1, waiter.delay);
  return { kind: 'fixed', delay, jitter: Math.min(DEFAULT_JITTER_SECONDS, delay) };
}

/** A whole number in [low, high], from `random` in [0, 1). */
function uniformInteger(low: number, high: number, random: () => number): number {
  return Math.min(high, low + Math.floor(random() * (high - low + 1)));
}

/**
 * Seconds to wait after `attempt` (1-based: the attempt just made). Always a whole number >= 1.
 * `random` returns values in [0, 1); inject it for deterministic tests.
 */
export function nextDelaySeconds(
  strategy: DelayStrategy,
  attempt: number,
  random: () => number = Math.random,
): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be an integer >= 1, got ${attempt}`);
  }
  if (strategy.kind === 'fixed') {
    // The clamps are for states carried from before validation refused a delay of 0 (a running
    // execution keeps its input); a validated strategy never needs them at the high end.
    const jitter = strategy.jitter ?? 0;
    return uniformInteger(Math.max(1, strategy.delay - jitter), Math.max(1, strategy.delay + jitter), random);
  }
  // @smithy/util-waiter (packages/util-waiter/src/poller.ts): past attemptCeiling the delay is maxDelay,
  // otherwise uniform in [minDelay, minDelay * 2^(attempt - 1)].
  const { minDelay, maxDelay } = strategy;
  const attemptCeiling = Math.log(maxDelay / minDelay) / Math.log(2) + 1;
  if (attempt > attemptCeiling) return maxDelay;
  const ceiling = Math.min(maxDelay, minDelay * 2 ** (attempt - 1));
  return uniformInteger(minDelay, ceiling, random);
}
