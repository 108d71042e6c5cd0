import { randomUUID } from 'node:crypto';
import { Heap } from 'heap-js';
import { BATCH_EVENT_SOURCE, BATCH_JOB_STATE_CHANGE } from '../../../waiters';
import type { VirtualTimer, VirtualTimers } from '../virtual-timers';
import type { BatchEmulator } from './index';
import type { EmulatedJobDetail } from './job-view';

/**
 * The local Batch's job state-change events, in EventBridge's shape (Batch User Guide, "Job state change
 * events": `detail-type` "Batch Job State Change", `source` "aws.batch", the job's ARN in `resources`, and
 * `detail` shaped like DescribeJobs' JobDetail). One per status change, at the instant of the change, and
 * none for a job's initial SUBMITTED ("Batch ... doesn't send events for the SUBMITTED state"). What
 * happens to them on the way (delay, loss, duplicates, order) is the bus's business (lib/local/event-bus.ts).
 */
export interface BatchStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': typeof BATCH_JOB_STATE_CHANGE;
  source: typeof BATCH_EVENT_SOURCE;
  account: string;
  /** When the status changed (ISO 8601, whole seconds, as EventBridge writes it). */
  time: string;
  region: string;
  resources: string[];
  detail: EmulatedJobDetail;
}

/** A job's next possible status change; `order` keeps changes at one instant in the jobs' creation order. */
interface UpcomingChange {
  at: number;
  order: number;
  jobId: string;
}

export class BatchStateChangeEvents {
  /** The last status each job was reported in (a job not here is in its initial SUBMITTED). */
  private readonly reported = new Map<string, string>();
  /** Every change up to this instant has been published. */
  private checkedUntil: number;
  private timer: VirtualTimer | undefined;
  /** Everything published, oldest first. */
  readonly published: BatchStateChangeEvent[] = [];
  /**
   * Each job's next possible change after `checkedUntil`, earliest first: a fleet of 10,000 jobs publishes a
   * change without reading every job again. Rebuilt when the emulator's revision moves (a job added, a
   * course changed by TerminateJob or CancelJob).
   */
  private upcoming = new Heap<UpcomingChange>(byTimeThenOrder);
  private upcomingRevision: string | undefined;

  constructor(
    private readonly emulator: BatchEmulator,
    private readonly timers: VirtualTimers,
    /** `at`: when the change happened (the clock may be past it when the event is published). */
    private readonly publish: (event: BatchStateChangeEvent, at: number) => void,
    private readonly where: { region: string; account: string },
  ) {
    this.checkedUntil = timers.clock.now();
    timers.addSource(() => this.schedule());
  }

  private refreshUpcoming(): void {
    const revision = this.emulator.revision;
    if (revision === this.upcomingRevision) return;
    this.upcomingRevision = revision;
    const changes = this.emulator.statusChangesAfter(this.checkedUntil);
    this.upcoming = new Heap<UpcomingChange>(byTimeThenOrder);
    this.upcoming.init(
      changes.flatMap(({ jobId, at }, order) => (at === undefined ? [] : [{ at, order, jobId }])),
    );
  }

  /** Keeps one timer at the next instant a job's status may change. */
  private schedule(): void {
    this.refreshUpcoming();
    const change = this.upcoming.peek()?.at;
    // A timer is never set in the past (VirtualTimers moves it to now): compare with where it would be.
    const next = change === undefined ? undefined : Math.max(change, this.timers.clock.now());
    if (next === this.timer?.at) return;
    this.timer?.cancel();
    this.timer = next === undefined ? undefined : this.timers.at(next, () => this.catchUp());
  }

  /** Publishes every change up to now, each at its own instant (the clock may have jumped past several). */
  private catchUp(): void {
    this.timer = undefined;
    this.refreshUpcoming();
    const now = this.timers.clock.now();
    for (let next = this.upcoming.peek(); next !== undefined && next.at <= now; next = this.upcoming.peek()) {
      const { at } = next;
      while (this.upcoming.peek()?.at === at) {
        const { jobId, order } = this.upcoming.pop() as UpcomingChange;
        this.publishChange(jobId, at);
        const after = this.emulator.nextStatusChangeOf(jobId, at);
        if (after !== undefined) this.upcoming.push({ at: after, order, jobId });
      }
      this.checkedUntil = at;
    }
    this.checkedUntil = now;
  }

  private publishChange(jobId: string, at: number): void {
    const job = this.emulator.jobAt(jobId, at);
    if (job === undefined) return;
    const before = this.reported.get(job.jobId) ?? 'SUBMITTED';
    if (job.status === before) return;
    this.reported.set(job.jobId, job.status);
    const event: BatchStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': BATCH_JOB_STATE_CHANGE,
      source: BATCH_EVENT_SOURCE,
      account: this.where.account,
      time: `${new Date(at).toISOString().slice(0, 19)}Z`,
      region: this.where.region,
      resources: [job.jobArn],
      detail: job,
    };
    this.published.push(event);
    this.publish(event, at);
  }
}

const byTimeThenOrder = (a: UpcomingChange, b: UpcomingChange) => a.at - b.at || a.order - b.order;
