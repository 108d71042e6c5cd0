import { type EventPattern, matchesPattern } from './event-pattern';
import { logNormal } from './latencies';
import type { VirtualTimers } from './virtual-timers';

/**
 * A local EventBridge bus: it routes each event to the targets of the rules whose pattern matches it (the
 * synthesized rules' own patterns), each delivery after its own delay, so events arrive out of order as
 * EventBridge allows ("EventBridge doesn't guarantee the order of events", "Events are delivered at least
 * once"). Loss and duplicates are injected, for the fault suite and the benchmark's lossy rows.
 */
export interface EventDelivery {
  /** Seconds from the change to the target's receiving the event; draws from `random`. */
  readonly delaySeconds: (random: () => number) => number;
  /** The share of events that never arrive (0 to 1). */
  readonly lossProbability?: number;
  /** The share of events delivered twice, each copy with its own delay (0 to 1). */
  readonly duplicateProbability?: number;
}

/**
 * The delay stepwait assumes from a Batch status change to its event reaching the queue's consumer: no
 * AWS figure exists, so it is stated rather than measured: log-normal with a median of 0.5 s and sigma 1,
 * i.e. p95 about 2.6 s and p99 about 5.1 s, capped at the 24 hours EventBridge retries for.
 */
export const STATED_EVENT_DELAY = { medianSeconds: 0.5, sigma: 1, capSeconds: 86_400 } as const;

export const statedEventDelay = (random: () => number): number =>
  Math.min(
    STATED_EVENT_DELAY.capSeconds,
    logNormal(STATED_EVENT_DELAY.medianSeconds, STATED_EVENT_DELAY.sigma, random),
  );

export const DEFAULT_EVENT_DELIVERY: EventDelivery = { delaySeconds: statedEventDelay };

interface Rule {
  name: string;
  pattern: EventPattern;
  target: (event: unknown) => void;
}

export class LocalEventBus {
  private readonly rules: Rule[] = [];
  /** Counts, for reports: events put, deliveries made, lost and duplicated. */
  readonly stats = { put: 0, matched: 0, delivered: 0, lost: 0, duplicated: 0 };

  constructor(
    private readonly timers: VirtualTimers,
    private readonly random: () => number,
    private delivery: EventDelivery = DEFAULT_EVENT_DELIVERY,
  ) {}

  /** @throws UnsupportedPatternError now, for a pattern the local matcher cannot apply */
  addRule(name: string, pattern: EventPattern, target: (event: unknown) => void): void {
    matchesPattern(pattern, {});
    this.rules.push({ name, pattern, target });
  }

  setDelivery(delivery: EventDelivery): void {
    this.delivery = delivery;
  }

  /** Puts an event that happened at `at` (epoch ms); each matching rule's target gets it after a delay. */
  put(event: unknown, at: number = this.timers.clock.now()): void {
    this.stats.put++;
    for (const rule of this.rules) {
      if (!matchesPattern(rule.pattern, event)) continue;
      this.stats.matched++;
      if (this.random() < (this.delivery.lossProbability ?? 0)) {
        this.stats.lost++;
        continue;
      }
      const copies = this.random() < (this.delivery.duplicateProbability ?? 0) ? 2 : 1;
      if (copies === 2) this.stats.duplicated++;
      for (let copy = 0; copy < copies; copy++) {
        const delay = this.delivery.delaySeconds(this.random);
        this.timers.at(at + delay * 1000, () => {
          this.stats.delivered++;
          rule.target(structuredClone(event));
        });
      }
    }
  }
}
