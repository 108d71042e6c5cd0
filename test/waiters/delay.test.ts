import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DelayStrategy,
  DelayStrategyError,
  defaultDelayStrategy,
  nextDelaySeconds,
  validateDelayStrategy,
} from '../../waiters';

const randomUnit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('fixed delay with jitter', () => {
  it('stays within [max(1, delay - jitter), delay + jitter] as a whole number', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 10_000 })
          .chain((delay) => fc.tuple(fc.constant(delay), fc.integer({ min: 0, max: Math.min(delay, 600) }))),
        fc.integer({ min: 1, max: 1000 }),
        randomUnit,
        ([delay, jitter], attempt, r) => {
          const strategy = { kind: 'fixed', delay, jitter } as const;
          expect(() => validateDelayStrategy(strategy)).not.toThrow();
          const seconds = nextDelaySeconds(strategy, attempt, () => r);
          expect(Number.isInteger(seconds)).toBe(true);
          expect(seconds).toBeGreaterThanOrEqual(Math.max(1, delay - jitter));
          expect(seconds).toBeLessThanOrEqual(delay + jitter);
        },
      ),
    );
  });

  it('reaches both ends of the range', () => {
    const strategy: DelayStrategy = { kind: 'fixed', delay: 300, jitter: 2 };
    expect(nextDelaySeconds(strategy, 1, () => 0)).toBe(298);
    expect(nextDelaySeconds(strategy, 1, () => 0.999_999)).toBe(302);
  });

  it('with jitter equal to the delay, spans 1 to twice the delay (Airflow JobExists: uniform(max(1, d - 2), d + 2))', () => {
    const jobExists: DelayStrategy = { kind: 'fixed', delay: 2, jitter: 2 };
    expect(() => validateDelayStrategy(jobExists)).not.toThrow();
    expect(nextDelaySeconds(jobExists, 1, () => 0)).toBe(1);
    expect(nextDelaySeconds(jobExists, 1, () => 0.999_999)).toBe(4);
  });

  it('is exactly the delay without jitter', () => {
    expect(nextDelaySeconds({ kind: 'fixed', delay: 30 }, 7, () => 0.9)).toBe(30);
  });
});

describe('exponential delay (smithy util-waiter)', () => {
  it('gives minDelay on the first attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.integer({ min: 0, max: 1000 }),
        randomUnit,
        (min, extra, r) => {
          expect(
            nextDelaySeconds({ kind: 'exponential', minDelay: min, maxDelay: min + extra }, 1, () => r),
          ).toBe(min);
        },
      ),
    );
  });

  it('gives exactly maxDelay past the attempt ceiling log2(max/min) + 1', () => {
    const strategy: DelayStrategy = { kind: 'exponential', minDelay: 2, maxDelay: 120 };
    // log2(60) + 1 = 6.9: attempt 7 and later are past the ceiling.
    expect(nextDelaySeconds(strategy, 7, () => 0)).toBe(120);
    expect(nextDelaySeconds(strategy, 50, () => 0.3)).toBe(120);
    expect(nextDelaySeconds(strategy, 6, () => 0)).toBe(2);
  });

  it('stays within [minDelay, min(maxDelay, minDelay * 2^(attempt-1))]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 0, max: 3600 }),
        fc.integer({ min: 1, max: 40 }),
        randomUnit,
        (min, extra, attempt, r) => {
          const max = min + extra;
          const seconds = nextDelaySeconds(
            { kind: 'exponential', minDelay: min, maxDelay: max },
            attempt,
            () => r,
          );
          expect(Number.isInteger(seconds)).toBe(true);
          expect(seconds).toBeGreaterThanOrEqual(min);
          expect(seconds).toBeLessThanOrEqual(Math.min(max, min * 2 ** (attempt - 1)));
        },
      ),
    );
  });

  it('grows its ceiling with the attempt', () => {
    const strategy: DelayStrategy = { kind: 'exponential', minDelay: 5, maxDelay: 1000 };
    const top = (attempt: number) => nextDelaySeconds(strategy, attempt, () => 0.999_999);
    expect([1, 2, 3, 4].map(top)).toEqual([5, 10, 20, 40]);
  });

  it('rejects an attempt below 1', () => {
    expect(() => nextDelaySeconds({ kind: 'fixed', delay: 5 }, 0)).toThrowError(
      /attempt must be an integer >= 1/,
    );
  });
});

describe('delay strategy validation', () => {
  it('accepts well-formed strategies', () => {
    expect(() => validateDelayStrategy({ kind: 'fixed', delay: 30, jitter: 2 })).not.toThrow();
    expect(() => validateDelayStrategy({ kind: 'exponential', minDelay: 5, maxDelay: 300 })).not.toThrow();
  });

  it('names the field and what was expected', () => {
    expect(() => validateDelayStrategy({ kind: 'fixed', delay: 1.5 }, 'delays.JobComplete')).toThrowError(
      /delays.JobComplete.delay: expected whole seconds from 1 to 31536000, got 1.5/,
    );
    expect(() => validateDelayStrategy({ kind: 'exponential', minDelay: 0, maxDelay: 5 })).toThrowError(
      /delay.minDelay/,
    );
    expect(() => validateDelayStrategy({ kind: 'exponential', minDelay: 10, maxDelay: 5 })).toThrowError(
      /delay.maxDelay: must be >= minDelay \(10\), got 5/,
    );
    expect(() => validateDelayStrategy({ kind: 'linear' })).toThrowError(
      /delay.kind: expected kind "fixed" or "exponential"/,
    );
    expect(() => validateDelayStrategy(null)).toThrowError(/delay: expected a delay strategy object/);
  });

  it('refuses a fixed delay below 1 s, by name, instead of waiting 1 s', () => {
    for (const delay of [0, -1]) {
      expect(() => validateDelayStrategy({ kind: 'fixed', delay }, 'delays.JobComplete')).toThrowError(
        new RegExp(`^delays.JobComplete.delay: expected whole seconds from 1 to 31536000, got ${delay}$`),
      );
    }
    expect(() => validateDelayStrategy({ kind: 'fixed', delay: 1 })).not.toThrow();
  });

  it('refuses a jitter larger than the delay, by name; equal is allowed', () => {
    let caught: unknown;
    try {
      validateDelayStrategy({ kind: 'fixed', delay: 5, jitter: 6 }, 'delays.JobRunning');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DelayStrategyError);
    expect(caught).toMatchObject({
      field: 'delays.JobRunning.jitter',
      detail: 'must be <= delay (5), got 6',
    });
    expect(() => validateDelayStrategy({ kind: 'fixed', delay: 5, jitter: 5 })).not.toThrow();
    expect(() => validateDelayStrategy({ kind: 'fixed', delay: 5, jitter: 0 })).not.toThrow();
  });

  it('defaults to the waiter delay with +/- 2 s jitter, always a strategy that validates', () => {
    expect(defaultDelayStrategy({ delay: 300 })).toEqual({ kind: 'fixed', delay: 300, jitter: 2 });
    expect(defaultDelayStrategy({ delay: 2 })).toEqual({ kind: 'fixed', delay: 2, jitter: 2 });
    // botocore lets a model say 0 or 1; the strategy keeps at least 1 s and a jitter within the delay.
    expect(defaultDelayStrategy({ delay: 1 })).toEqual({ kind: 'fixed', delay: 1, jitter: 1 });
    expect(defaultDelayStrategy({ delay: 0 })).toEqual({ kind: 'fixed', delay: 1, jitter: 1 });
    for (const delay of [0, 1, 2, 3, 300]) {
      expect(() => validateDelayStrategy(defaultDelayStrategy({ delay }))).not.toThrow();
    }
  });
});
