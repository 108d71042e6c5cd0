import { afterEach, describe, expect, it } from 'vitest';
import { FleetScheduler } from '../../../lib/local/fleet-scheduler';
import { VirtualClock } from '../../../lib/local/virtual-clock';
import { VirtualTimers } from '../../../lib/local/virtual-timers';

/**
 * The paced clock of a local deployment (`stepwait local --ui`): it follows a real clock, here one the test
 * moves, at `speed` virtual seconds a real second, never ahead of it.
 */
const START = Date.UTC(2026, 11, 2, 12);
let scheduler: FleetScheduler | undefined;

afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

function paced(speed: number, onError?: (error: unknown) => void) {
  const real = { now: 0, reads: 0 };
  const clock = new VirtualClock(START);
  const timers = new VirtualTimers(clock);
  scheduler = new FleetScheduler(timers, {
    speed,
    realNow: () => {
      real.reads++;
      return real.now;
    },
    ...(onError === undefined ? {} : { onError }),
  });
  /** Resolves once the scheduler has looked at the real clock a few more times: it had its chances. */
  const ticks = async () => {
    const reads = real.reads;
    await expect.poll(() => real.reads, { interval: 10 }).toBeGreaterThanOrEqual(reads + 3);
  };
  return { real, clock, timers, scheduler, ticks };
}

describe('a paced clock', () => {
  it('moves with real time at its speed, with nothing running', async () => {
    const { real, clock, ticks } = paced(60);
    await ticks();
    expect(clock.now()).toBe(START);
    real.now = 500;
    await expect.poll(() => clock.now()).toBe(START + 30_000);
    await ticks();
    expect(clock.now()).toBe(START + 30_000);
  });

  it('wakes a waiting execution when real time gets there, not before, and exactly at its instant', async () => {
    const { real, clock, scheduler, ticks } = paced(60);
    scheduler.enter();
    let woke: number | undefined;
    const sleeping = scheduler.sleepUntil(START + 120_000).then(() => {
      woke = clock.now();
    });
    real.now = 1_000;
    await expect.poll(() => clock.now()).toBe(START + 60_000);
    await ticks();
    expect(woke).toBeUndefined();
    real.now = 2_500;
    await sleeping;
    expect(woke).toBe(START + 120_000);
    scheduler.leave();
  });

  it('fires a timer once its time has come, on the clock at its instant', async () => {
    const { real, clock, timers, ticks } = paced(10);
    const fired: number[] = [];
    timers.at(START + 5_000, () => {
      fired.push(clock.now());
    });
    real.now = 400;
    await expect.poll(() => clock.now()).toBe(START + 4_000);
    await ticks();
    expect(fired).toEqual([]);
    real.now = 600;
    await expect.poll(() => fired).toEqual([START + 5_000]);
  });

  it('holds the clock while an execution is busy, and catches up once it blocks', async () => {
    const { real, clock, scheduler } = paced(60);
    scheduler.enter();
    real.now = 1_000;
    // A busy execution keeps the loop from reading the real clock at all: only real time can show it holds.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(clock.now()).toBe(START);
    let wake: (() => void) | undefined;
    const blocked = scheduler.blockOn(new Promise<void>((resolve) => (wake = resolve)));
    await expect.poll(() => clock.now()).toBe(START + 60_000);
    wake?.();
    await blocked;
    scheduler.leave();
  });

  it('lets a stopped execution go on at once', async () => {
    const { real, clock, scheduler } = paced(60);
    scheduler.enter();
    const stop = new AbortController();
    const sleeping = scheduler.sleepUntil(START + 3_600_000, stop.signal);
    stop.abort();
    await sleeping;
    expect(clock.now()).toBe(START);
    scheduler.leave();
    // Already stopped: no wait at all.
    await scheduler.sleepUntil(START + 3_600_000, stop.signal);
    real.now = 100;
    await expect.poll(() => clock.now()).toBe(START + 6_000);
  });

  it('counts its pace from anchorPace, not from before a slow start', async () => {
    const { real, clock, scheduler, ticks } = paced(60);
    await ticks();
    // The same instant as the real clock's jump: no step runs between the two.
    real.now = 50_000;
    scheduler.anchorPace();
    await ticks();
    expect(clock.now()).toBe(START);
    real.now = 51_000;
    await expect.poll(() => clock.now()).toBe(START + 60_000);
  });

  it('reports what a timer threw and goes on; without onError, stops and throws it from stop()', async () => {
    const errors: unknown[] = [];
    const reporting = paced(10, (error) => errors.push(error));
    reporting.timers.at(START + 1_000, () => {
      throw new Error('delivery failed');
    });
    const later: number[] = [];
    reporting.timers.at(START + 2_000, () => {
      later.push(reporting.clock.now());
    });
    reporting.real.now = 300;
    await expect.poll(() => later).toEqual([START + 2_000]);
    expect(errors.map((error) => (error as Error).message)).toEqual(['delivery failed']);
    await reporting.scheduler.stop();

    const failing = paced(10);
    failing.timers.at(START + 1_000, () => {
      throw new Error('sweep failed');
    });
    failing.real.now = 300;
    // The failure ends the clock's loop, and stop() throws it.
    await failing.scheduler.idle();
    await expect(failing.scheduler.stop()).rejects.toThrow('sweep failed');
    scheduler = undefined;
  });

  it('refuses a speed that is not a positive number, by name', () => {
    const timers = new VirtualTimers(new VirtualClock(START));
    for (const speed of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new FleetScheduler(timers, { speed })).toThrow(
        `pace.speed: expected a positive number, got ${speed}`,
      );
    }
  });
});
