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

function paced(speed: number) {
  const real = { now: 0 };
  const clock = new VirtualClock(START);
  const timers = new VirtualTimers(clock);
  scheduler = new FleetScheduler(timers, { speed, realNow: () => real.now });
  return { real, clock, timers, scheduler };
}

/** Lets the scheduler look at the real clock a few times. */
const ticks = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('a paced clock', () => {
  it('moves with real time at its speed, with nothing running', async () => {
    const { real, clock } = paced(60);
    await ticks();
    expect(clock.now()).toBe(START);
    real.now = 500;
    await expect.poll(() => clock.now()).toBe(START + 30_000);
    await ticks();
    expect(clock.now()).toBe(START + 30_000);
  });

  it('wakes a waiting execution when real time gets there, not before, and exactly at its instant', async () => {
    const { real, clock, scheduler } = paced(60);
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
    const { real, clock, timers } = paced(10);
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
    await ticks();
    expect(clock.now()).toBe(START);
    let wake: (() => void) | undefined;
    const blocked = scheduler.blockOn(new Promise<void>((resolve) => (wake = resolve)));
    await expect.poll(() => clock.now()).toBe(START + 60_000);
    wake?.();
    await blocked;
    scheduler.leave();
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
