import { Heap } from 'heap-js';
import type { VirtualTimers } from './virtual-timers';

/**
 * One virtual clock for many executions at once (a fleet): an execution never moves the clock itself. A
 * Wait state or a retry's backoff marks when it may go on, and its next task waits for that instant; a
 * parked task waits for its token. The clock moves only when every running execution is blocked so, to
 * the earliest instant anything happens (a timer: an event delivered, a sweep, a park's timeout; or an
 * execution's resume time), as a discrete-event simulation does. Executions that are busy (a poll's HTTP
 * call to the local Batch, DynamoDB) hold the clock where it is.
 */
interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

export class FleetScheduler {
  private running = 0;
  private blocked = 0;
  /** Blocked executions by when they go on, earliest first (ties in the order they blocked). */
  private readonly sleepers = new Heap<Sleeper>((a, b) => a.at - b.at || a.seq - b.seq);
  private seq = 0;
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
    await this.blockOn(new Promise<void>((wake) => this.sleepers.push({ at, seq: ++this.seq, wake })));
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
    const sleeper = this.sleepers.peek()?.at;
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
    const due: Sleeper[] = [];
    while ((this.sleepers.peek()?.at ?? Number.POSITIVE_INFINITY) <= at)
      due.push(this.sleepers.pop() as Sleeper);
    for (const entry of due) entry.wake();
  }
}
