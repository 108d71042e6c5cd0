import { randomUUID } from 'node:crypto';
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

export class BatchStateChangeEvents {
  /** The last status each job was reported in (a job not here is in its initial SUBMITTED). */
  private readonly reported = new Map<string, string>();
  /** Every change up to this instant has been published. */
  private checkedUntil: number;
  private timer: VirtualTimer | undefined;
  /** Everything published, oldest first. */
  readonly published: BatchStateChangeEvent[] = [];

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

  /** The emulator's revision the pending timer was set for: while it stands, the timer is right. */
  private revision: string | undefined;

  /** Keeps one timer at the next instant a job's status may change. */
  private schedule(): void {
    // Working the next change out reads every job: only when something changed since (a fleet asks often).
    const revision = this.emulator.revision;
    if (this.timer !== undefined && revision === this.revision) return;
    this.revision = revision;
    const next = this.emulator.nextStatusChangeAfter(this.checkedUntil);
    if (next === this.timer?.at) return;
    this.timer?.cancel();
    this.timer = next === undefined ? undefined : this.timers.at(next, () => this.catchUp());
  }

  /** Publishes every change up to now, each at its own instant (the clock may have jumped past several). */
  private catchUp(): void {
    this.timer = undefined;
    const now = this.timers.clock.now();
    for (let at = this.emulator.nextStatusChangeAfter(this.checkedUntil); at !== undefined && at <= now; ) {
      this.publishChangesAt(at);
      this.checkedUntil = at;
      at = this.emulator.nextStatusChangeAfter(at);
    }
    this.checkedUntil = now;
  }

  private publishChangesAt(at: number): void {
    for (const job of this.emulator.jobDetailsChangingAt(at)) {
      const before = this.reported.get(job.jobId) ?? 'SUBMITTED';
      if (job.status === before) continue;
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
}
