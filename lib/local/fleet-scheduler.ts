import type { VirtualTimers } from './virtual-timers';

/**
 * One virtual clock for many executions at once (a fleet): an execution never moves the clock itself. A
 * Wait state or a retry's backoff marks when it may go on, and its next task waits for that instant; a
 * parked task waits for its token. The clock moves only when every running execution is blocked so, to
 * the earliest instant anything happens (a timer: an event delivered, a sweep, a park's timeout; or an
 * execution's resume time), as a discrete-event simulation does. Executions that are busy (a poll's HTTP
 * call to the local Batch, DynamoDB) hold the clock where it is.
 */
export class FleetScheduler {
  private running = 0;
  private blocked = 0;
  private sleepers: { at: number; wake: () => void }[] = [];
  private driving: Promise<void> | undefined;

  constructor(readonly timers: VirtualTimers) {}

  /** An execution starts: it counts as running until it blocks or ends. */
  enter(): void {
    this.running++;
    this.kick();
  }

  /** An execution ended. */
  leave(): void {
    this.running--;
    this.kick();
  }

  /** Blocks the calling execution until the clock reaches `at` (now, if it has). */
  async sleepUntil(at: number): Promise<void> {
    if (at <= this.timers.clock.now()) return;
    await this.blockOn(new Promise<void>((wake) => this.sleepers.push({ at, wake })));
  }

  /** Blocks the calling execution until `promise` settles (a parked task's token). */
  async blockOn<T>(promise: Promise<T>): Promise<T> {
    this.blocked++;
    this.kick();
    try {
      return await promise;
    } finally {
      this.blocked--;
    }
  }

  /**
   * Resolves once the clock has stopped (no execution left, the step under way finished); rejects with what
   * a timer threw (a sweep, a delivery), which would otherwise be lost.
   */
  async idle(): Promise<void> {
    await this.driving;
  }

  /** Runs the clock while anything runs; resolves when no execution is left. */
  private kick(): void {
    this.driving ??= this.drive().finally(() => {
      this.driving = undefined;
    });
  }

  private async drive(): Promise<void> {
    while (this.running > 0) {
      // Let every execution get as far as it can at this instant (I/O included) before time moves.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.running === 0) break;
      if (this.blocked < this.running) continue;
      await this.step();
    }
  }

  /** Moves to the earliest instant anything happens, and makes it happen. */
  private async step(): Promise<void> {
    const timer = this.timers.nextAt();
    const sleeper = this.sleepers.reduce<number | undefined>(
      (a, b) => (a === undefined || b.at < a ? b.at : a),
      undefined,
    );
    const at = [timer, sleeper]
      .filter((value): value is number => value !== undefined)
      .reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
    if (!Number.isFinite(at))
      throw new Error('every execution is blocked and nothing is scheduled: it would wait forever');
    if (timer !== undefined && timer <= at) {
      await this.timers.runNext();
      return;
    }
    const now = this.timers.clock.now();
    if (at > now) this.timers.clock.advanceSeconds((at - now) / 1000);
    const due = this.sleepers.filter((entry) => entry.at <= at);
    this.sleepers = this.sleepers.filter((entry) => entry.at > at);
    for (const entry of due) entry.wake();
  }
}
