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
  /** Its execution was stopped: it went on already, and the clock need not come here for it. */
  cancelled: boolean;
}

/**
 * A paced clock, for a local deployment people watch (`stepwait local --ui`): the clock follows real time
 * at `speed` virtual seconds a real second, and keeps moving with no execution running (jobs progress, new
 * waits start at the time it is). It never runs ahead of that pace, and falls behind only while an
 * execution is busy, catching up once none is.
 */
export interface Pace {
  /** Virtual seconds per real second (1: real time). */
  readonly speed: number;
  /** A real clock in ms; only its differences count. @default performance.now (monotonic) */
  readonly realNow?: () => number;
  /**
   * What a timer threw (a delivery, a sweep, a new wait); the clock goes on. Without it, the first such error
   * stops the clock and stop() throws it.
   */
  readonly onError?: (error: unknown) => void;
}

/** How long a paced clock sleeps at most before it looks again (real ms). */
const PACED_TICK_MS = 50;

export class FleetScheduler {
  private running = 0;
  private blocked = 0;
  /** Blocked executions by when they go on, earliest first (ties in the order they blocked). */
  private readonly sleepers = new Heap<Sleeper>((a, b) => a.at - b.at || a.seq - b.seq);
  private seq = 0;
  private driving: Promise<void> | undefined;
  private readonly paced?: {
    speed: number;
    realNow: () => number;
    virtualAt: number;
    realAt: number;
    onError?: (error: unknown) => void;
  };
  private stopped = false;
  /** A paced clock's failure, for stop() to throw. */
  private failure: { error: unknown } | undefined;

  constructor(
    readonly timers: VirtualTimers,
    pace?: Pace,
  ) {
    if (pace !== undefined) {
      if (!Number.isFinite(pace.speed) || pace.speed <= 0)
        throw new RangeError(`pace.speed: expected a positive number, got ${pace.speed}`);
      const realNow = pace.realNow ?? (() => performance.now());
      this.paced = {
        speed: pace.speed,
        realNow,
        virtualAt: timers.clock.now(),
        realAt: realNow(),
        ...(pace.onError === undefined ? {} : { onError: pace.onError }),
      };
      this.kick();
    }
  }

  /** A paced clock's pace counts from now (after a slow start, so the clock does not leap ahead). */
  anchorPace(): void {
    if (this.paced === undefined) return;
    this.paced.virtualAt = this.timers.clock.now();
    this.paced.realAt = this.paced.realNow();
  }

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

  /**
   * Blocks the calling execution until the clock reaches `at` (now, if it has), or until `signal` stops it
   * (StopExecution: a stopped execution waits for nothing).
   */
  async sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    if (at <= this.timers.clock.now() || signal?.aborted) return;
    await this.blockOn(
      new Promise<void>((resolve) => {
        const stopped = () => {
          sleeper.cancelled = true;
          resolve();
        };
        const sleeper: Sleeper = {
          at,
          seq: ++this.seq,
          wake: () => {
            signal?.removeEventListener('abort', stopped);
            resolve();
          },
          cancelled: false,
        };
        this.sleepers.push(sleeper);
        signal?.addEventListener('abort', stopped, { once: true });
      }),
    );
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
   * a timer threw (a sweep, a delivery), which would otherwise be lost. A paced clock stops only at stop().
   */
  async idle(): Promise<void> {
    await this.driving;
  }

  /**
   * Stops a paced clock (after the step under way); executions still blocked on it stay so.
   * @throws what a timer threw, if it stopped the clock (no `onError`)
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.driving;
    if (this.failure !== undefined) throw this.failure.error;
  }

  /** Runs the clock while anything runs (a paced one until stopped). */
  private kick(): void {
    this.driving ??= this.drive().finally(() => {
      this.driving = undefined;
    });
  }

  private async drive(): Promise<void> {
    while (this.paced === undefined ? this.running > 0 : !this.stopped) {
      // Let every execution get as far as it can at this instant (I/O included) before time moves.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.paced === undefined && this.running === 0) break;
      if (this.blocked < this.running) continue;
      if (this.paced === undefined) {
        await this.step();
        continue;
      }
      // Nobody awaits a paced clock's loop until stop(): what a timer throws is reported, never unhandled.
      try {
        await this.step();
      } catch (error) {
        if (this.paced.onError === undefined) {
          this.failure = { error };
          return;
        }
        this.paced.onError(error);
      }
    }
  }

  /** The earliest instant anything happens: a timer, or a blocked execution going on. */
  private nextInstant(): { at: number; timer: boolean } {
    while (this.sleepers.peek()?.cancelled) this.sleepers.pop();
    const timer = this.timers.nextAt();
    const sleeper = this.sleepers.peek()?.at;
    const at = Math.min(timer ?? Number.POSITIVE_INFINITY, sleeper ?? Number.POSITIVE_INFINITY);
    return { at, timer: timer !== undefined && timer <= at };
  }

  /** Moves to the earliest instant anything happens (a paced clock: once real time gets there), and makes it happen. */
  private async step(): Promise<void> {
    const next = this.nextInstant();
    if (this.paced !== undefined) {
      const { speed, realNow, virtualAt, realAt } = this.paced;
      // Whole milliseconds, as clocks and the API's dates have them.
      const paced = Math.floor(virtualAt + (realNow() - realAt) * speed);
      if (next.at > paced) {
        const now = this.timers.clock.now();
        if (paced > now) this.timers.clock.advanceSeconds((paced - now) / 1000);
        const sleepMs = Math.min(PACED_TICK_MS, (next.at - paced) / speed);
        await new Promise((resolve) => setTimeout(resolve, Math.max(1, sleepMs)));
        return;
      }
    }
    if (!Number.isFinite(next.at))
      throw new Error('every execution is blocked and nothing is scheduled: it would wait forever');
    if (next.timer) {
      await this.timers.runNext();
      return;
    }
    const now = this.timers.clock.now();
    if (next.at > now) this.timers.clock.advanceSeconds((next.at - now) / 1000);
    const due: Sleeper[] = [];
    while ((this.sleepers.peek()?.at ?? Number.POSITIVE_INFINITY) <= next.at)
      due.push(this.sleepers.pop() as Sleeper);
    for (const entry of due) entry.wake();
  }
}
