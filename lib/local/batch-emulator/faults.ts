import type { BatchOperation } from './operations';

/** Failures to inject, to see how callers cope with a busy or broken Batch. All are off by default. */
export interface BatchFaults {
  /** Chance (0..1) that a request is throttled with a 429 TooManyRequestsException. */
  readonly throttleProbability?: number;
  /**
   * Requests allowed per operation per virtual second (AWS rate-limits each API action); the rest of that
   * second is throttled. Throttled requests do not use up the allowance.
   */
  readonly throttleRequestsPerSecond?: number;
  /** Chance (0..1) that a request fails with a 500 ServerException. */
  readonly serverErrorProbability?: number;
  /** The next N requests fail with a 500 ServerException (the count goes down as they do). */
  readonly serverErrorBurst?: number;
  /** Only these operations are affected; all of them when absent. */
  readonly operations?: readonly BatchOperation[];
}

/** What happens to a request before Batch looks at it. */
export type FaultVerdict = 'pass' | 'throttle' | 'server-error';

function validateFaults(faults: BatchFaults): void {
  for (const key of ['throttleProbability', 'serverErrorProbability'] as const) {
    const p = faults[key];
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`${key} must be within 0..1, got ${p}`);
  }
  const rate = faults.throttleRequestsPerSecond;
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 0)) {
    throw new RangeError(`throttleRequestsPerSecond must be a whole number >= 0, got ${rate}`);
  }
  const burst = faults.serverErrorBurst;
  if (burst !== undefined && !(Number.isInteger(burst) && burst >= 0)) {
    throw new RangeError(`serverErrorBurst must be a whole number >= 0, got ${burst}`);
  }
}

/**
 * Decides each request's fate, in this order: a pending server error burst, the per-second limit, then the
 * throttle and server error probabilities. `random` is drawn only for a probability above 0, so a seeded
 * sequence is used up by the faults that are on and by nothing else.
 */
export class FaultInjector {
  private current: BatchFaults = {};
  private burstLeft = 0;
  /** Per operation: the virtual second being counted and how many requests it let through. */
  private readonly windows = new Map<BatchOperation, { second: number; admitted: number }>();

  constructor(
    faults: BatchFaults,
    private readonly random: () => number,
  ) {
    this.set(faults);
  }

  /** The faults in force, with `serverErrorBurst` showing what is left of the burst. */
  get faults(): BatchFaults {
    return { ...this.current, serverErrorBurst: this.burstLeft };
  }

  /** Replaces all faults (`{}` turns them off) and starts a fresh count for the per-second limit. */
  set(faults: BatchFaults): void {
    validateFaults(faults);
    this.current = { ...faults, ...(faults.operations ? { operations: [...faults.operations] } : {}) };
    this.burstLeft = faults.serverErrorBurst ?? 0;
    this.windows.clear();
  }

  decide(operation: BatchOperation, nowMs: number): FaultVerdict {
    const { operations, throttleProbability, serverErrorProbability } = this.current;
    if (operations && !operations.includes(operation)) return 'pass';
    if (this.burstLeft > 0) {
      this.burstLeft -= 1;
      return 'server-error';
    }
    if (!this.admitWithinRate(operation, nowMs)) return 'throttle';
    if (this.chance(throttleProbability)) return 'throttle';
    if (this.chance(serverErrorProbability)) return 'server-error';
    return 'pass';
  }

  private admitWithinRate(operation: BatchOperation, nowMs: number): boolean {
    const limit = this.current.throttleRequestsPerSecond;
    if (limit === undefined) return true;
    const second = Math.floor(nowMs / 1000);
    const window = this.windows.get(operation);
    const admitted = window?.second === second ? window.admitted : 0;
    if (admitted >= limit) return false;
    this.windows.set(operation, { second, admitted: admitted + 1 });
    return true;
  }

  private chance(probability: number | undefined): boolean {
    return probability !== undefined && probability > 0 && this.random() < probability;
  }
}
