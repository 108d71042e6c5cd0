/** A source of the current time in epoch milliseconds; injected wherever code reads "now". */
export interface Clock {
  now(): number;
}

/** The real wall clock, for code deployed to AWS. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Time in local runs: it moves only when told to, so a Wait of two hours takes no real time and the poller,
 * the Batch emulator and the harness all agree on what time it is.
 */
export class VirtualClock implements Clock {
  private current: number;

  constructor(startMs: number = Date.UTC(2026, 0, 1)) {
    if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be a finite number, got ${startMs}`);
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  advanceSeconds(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new RangeError(`a clock only moves forward: got ${seconds} seconds`);
    }
    this.current += seconds * 1000;
  }
}
