import { Heap } from 'heap-js';
import type { VirtualClock } from './virtual-clock';

/**
 * What happens on its own in a local run, at a virtual time: a job changing status and its event being
 * delivered, a parked task timing out, the sweeper's schedule. Nothing fires by itself: the runtime fires
 * every timer that is due before a task runs (so a task sees what happened before it), and while an
 * execution is parked it moves the clock from timer to timer until the park ends.
 */
export interface VirtualTimer {
  readonly at: number;
  cancel(): void;
}

interface Entry {
  at: number;
  seq: number;
  fire: () => Promise<void> | void;
  cancelled: boolean;
}

export class VirtualTimers {
  /** Earliest first (ties in the order set); cancelled entries leave lazily, when they reach the top. */
  private readonly entries = new Heap<Entry>((a, b) => a.at - b.at || a.seq - b.seq);
  private live = 0;
  private seq = 0;
  /** Sources asked for their next time whenever the timers run (a job's next status change, say). */
  private readonly sources: (() => void)[] = [];

  constructor(readonly clock: VirtualClock) {}

  /** Runs `fire` at virtual time `at` (now, if `at` has passed); timers at one instant fire in the order set. */
  at(at: number, fire: () => Promise<void> | void): VirtualTimer {
    const entry: Entry = { at: Math.max(at, this.clock.now()), seq: ++this.seq, fire, cancelled: false };
    this.entries.push(entry);
    this.live++;
    return { at: entry.at, cancel: () => this.retire(entry) };
  }

  private retire(entry: Entry): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    this.live--;
  }

  after(seconds: number, fire: () => Promise<void> | void): VirtualTimer {
    return this.at(this.clock.now() + seconds * 1000, fire);
  }

  /** A source that sets timers for what it will do (called before the timers are read). */
  addSource(refresh: () => void): void {
    this.sources.push(refresh);
  }

  /** The earliest live timer, or undefined. */
  private next(): Entry | undefined {
    for (const refresh of this.sources) refresh();
    while (this.entries.peek()?.cancelled) this.entries.pop();
    return this.entries.peek();
  }

  private async fire(entry: Entry): Promise<void> {
    this.retire(entry);
    if (entry.at > this.clock.now()) this.clock.advanceSeconds((entry.at - this.clock.now()) / 1000);
    await entry.fire();
  }

  /** When the earliest live timer is due, or undefined if none is. */
  nextAt(): number | undefined {
    return this.next()?.at;
  }

  /** Fires the earliest live timer, moving the clock to it (for a FleetScheduler). */
  async runNext(): Promise<void> {
    const entry = this.next();
    if (entry !== undefined) await this.fire(entry);
  }

  /** Fires every timer due by now, in time order (the clock stays where it is). */
  async runDue(): Promise<void> {
    for (let entry = this.next(); entry !== undefined && entry.at <= this.clock.now(); entry = this.next()) {
      await this.fire(entry);
    }
  }

  /**
   * Moves the clock from timer to timer until `done()` holds, e.g. until a parked task's token came back.
   * @throws Error if nothing is left that could make it hold (a bug: a park always has its timeout)
   */
  async runUntil(done: () => boolean): Promise<void> {
    while (!done()) {
      const entry = this.next();
      if (entry === undefined) throw new Error('nothing is scheduled, so this would wait forever');
      await this.fire(entry);
    }
  }

  /** Live timers, for tests. */
  get pending(): number {
    return this.live;
  }
}
