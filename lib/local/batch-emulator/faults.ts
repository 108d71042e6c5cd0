import { BATCH_OPERATIONS, type BatchOperation } from './operations';

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
  /**
   * Only these operations are throttled or fail with 5xx (the four faults above); all of them when absent.
   * The two faults below name their operations themselves.
   */
  readonly operations?: readonly BatchOperation[];
  /**
   * Lost responses: the next N requests of each operation named are processed (SubmitJob creates its job)
   * and then the connection is destroyed without an HTTP response, as when a network or a front end fails
   * after Batch acted. The SDK raises a network error (and, with retries on, sends the request again: a
   * second job, since SubmitJob has no idempotency token). The counts go down as responses are lost.
   * E.g. `{ SubmitJob: 1 }`.
   */
  readonly dropResponses?: Readonly<Partial<Record<BatchOperation, number>>>;
  /**
   * ListJobs is eventually consistent: a job appears in ListJobs only this many virtual seconds after it
   * was created, while DescribeJobs sees it at once.
   */
  readonly listJobsLagSeconds?: number;
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
  for (const [operation, count] of Object.entries(faults.dropResponses ?? {})) {
    if (!(BATCH_OPERATIONS as string[]).includes(operation)) {
      throw new RangeError(`dropResponses names ${operation}, which is no operation the emulator serves`);
    }
    if (!(Number.isInteger(count) && (count as number) >= 0)) {
      throw new RangeError(`dropResponses.${operation} must be a whole number >= 0, got ${count}`);
    }
  }
  const lag = faults.listJobsLagSeconds;
  if (lag !== undefined && !(Number.isFinite(lag) && lag >= 0)) {
    throw new RangeError(`listJobsLagSeconds must be a finite number of seconds >= 0, got ${lag}`);
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
  private readonly dropsLeft = new Map<BatchOperation, number>();
  /** Per operation: the virtual second being counted and how many requests it let through. */
  private readonly windows = new Map<BatchOperation, { second: number; admitted: number }>();

  constructor(
    faults: BatchFaults,
    private readonly random: () => number,
  ) {
    this.set(faults);
  }

  /** The faults in force, with `serverErrorBurst` and `dropResponses` showing what is left of them. */
  get faults(): BatchFaults {
    return {
      ...this.current,
      serverErrorBurst: this.burstLeft,
      ...(this.current.dropResponses === undefined
        ? {}
        : { dropResponses: Object.fromEntries(this.dropsLeft) }),
    };
  }

  /** Seconds a new job stays out of ListJobs. */
  get listJobsLagSeconds(): number {
    return this.current.listJobsLagSeconds ?? 0;
  }

  /** Whether the response to this request (which Batch has processed) is lost; uses up one such loss. */
  dropResponse(operation: BatchOperation): boolean {
    const left = this.dropsLeft.get(operation) ?? 0;
    if (left === 0) return false;
    this.dropsLeft.set(operation, left - 1);
    return true;
  }

  /** Replaces all faults (`{}` turns them off) and starts a fresh count for the per-second limit. */
  set(faults: BatchFaults): void {
    validateFaults(faults);
    this.current = {
      ...faults,
      ...(faults.operations ? { operations: [...faults.operations] } : {}),
      ...(faults.dropResponses ? { dropResponses: { ...faults.dropResponses } } : {}),
    };
    this.burstLeft = faults.serverErrorBurst ?? 0;
    this.dropsLeft.clear();
    for (const [operation, count] of Object.entries(faults.dropResponses ?? {})) {
      this.dropsLeft.set(operation as BatchOperation, count as number);
    }
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
