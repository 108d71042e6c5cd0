import type { JobSummary } from './job-system';
import { isFinishedPhase } from './job-system';
import type { WaiterModel } from './model';

/**
 * Event mode (DESIGN.md, "Wake-ups"): a stage that must wait parks in a `.waitForTaskToken` task instead of
 * looping through a Wait. The park stores the task token per job, a wake-up (a job state-change event, a
 * callback, the sweeper) sends it back, and the stage polls: a wake-up is a hint, the status call the truth.
 * This module holds the pure rules: when a stage parks, for how long, and how parks are keyed.
 */

/** How a waiter waits between polls: `poll` (a Wait state) or `events` (parked, woken by an event). */
export type WakeUpMode = 'poll' | 'events';

/**
 * A park ends on its own after this long (its TimeoutSecondsPath), and the stage polls: the third line,
 * for when every wake-up was lost *and* the sweeper (every few minutes) failed too. Each expiry costs a
 * poll and three state transitions, so it is long: twelve hours let a 24-hour job's wait expire once, not
 * three times (about half a transition a wait on the bench's mix), and keep a 30-day wait far below the
 * history limit (~13 events a park: 60 parks a month). A waiter whose sweeper may be switched off for long
 * sets `parkBackstop` lower.
 */
export const DEFAULT_PARK_BACKSTOP_SECONDS = 12 * 3600;

/** A Task's TimeoutSeconds(Path) must be a positive integer (ASL); AWS caps it at 99999999 seconds. */
export const MAX_PARK_SECONDS = 99_999_999;

/**
 * Extra life of a park record past its park's own timeout: a record is stale once the task is gone, but a
 * wake-up racing the timeout must still find it. Past that, readers treat it as absent (TTL deletes it
 * "typically within a few days", DynamoDB Developer Guide, "How TTL works", so expiry is checked on read).
 */
export const PARK_RECORD_GRACE_SECONDS = 15 * 60;

/** The jobs a wait parks on, and at which stage: what the next poll cleans up after. */
export interface ParkedOn {
  stageIndex: number;
  jobIds: string[];
}

/**
 * Whether a poll that decided `retry` parks, and for how long: only once every job it waits for has been
 * seen (a business key resolves by polling first; there is no event for a job's initial SUBMITTED), on the
 * jobs that have not finished (a multi-job wait re-parks on the rest), and never past the deadline, which
 * the stage must poll at to report a timeout. Undefined: the stage waits its polling delay instead.
 */
export function parkingFor(
  progress: {
    state: string;
    stageIndex: number;
    jobIds: readonly string[];
    jobs: readonly JobSummary[];
    deadline: string;
  },
  nowMs: number,
  backstopSeconds: number,
): { parkSeconds: number; parkedOn: ParkedOn } | undefined {
  if (progress.state !== 'retry' || progress.jobIds.length === 0) return undefined;
  const byId = new Map(progress.jobs.map((job) => [job.jobId, job]));
  if (progress.jobIds.some((jobId) => byId.get(jobId)?.phase === undefined)) return undefined;
  const open = progress.jobIds.filter((jobId) => !isFinishedPhase(byId.get(jobId)?.phase));
  if (open.length === 0) return undefined;
  const untilDeadline = Math.floor((Date.parse(progress.deadline) - nowMs) / 1000);
  const parkSeconds = Math.min(backstopSeconds, untilDeadline, MAX_PARK_SECONDS);
  if (!(parkSeconds >= 1)) return undefined;
  return { parkSeconds, parkedOn: { stageIndex: progress.stageIndex, jobIds: open } };
}

/** A park record's key: by system and job (what a wake-up knows), then by wait and stage (two waits on one job). */
export interface ParkKey {
  /** `<system>#<jobId>` */
  pk: string;
  /** `<waitId>#<stageIndex>` */
  sk: string;
}

export const parkPartitionKey = (system: string, jobId: string): string => `${system}#${jobId}`;
export const parkSortKey = (waitId: string, stageIndex: number): string => `${waitId}#${stageIndex}`;

/**
 * The "system" of the record a callback URL finds a park by: keyed by the wait, not by a job, since the
 * URL names the wait.
 */
export const CALLBACK_SYSTEM = 'callback';

/** A park's keys: one per job, and with `callback` one for the wait's callback URL. */
export function parkKeys(system: string, waitId: string, parkedOn: ParkedOn, callback = false): ParkKey[] {
  const sk = parkSortKey(waitId, parkedOn.stageIndex);
  return [
    ...parkedOn.jobIds.map((jobId) => ({ pk: parkPartitionKey(system, jobId), sk })),
    ...(callback ? [{ pk: parkPartitionKey(CALLBACK_SYSTEM, waitId), sk }] : []),
  ];
}

/** The keys of `before` that `after` does not park on again: records the poll deletes. */
export function keysLeft(before: readonly ParkKey[], after: readonly ParkKey[]): ParkKey[] {
  const kept = new Set(after.map((key) => `${key.pk}\n${key.sk}`));
  return before.filter((key) => !kept.has(`${key.pk}\n${key.sk}`));
}

/**
 * The system statuses that can change what `stages` decide, for a wake-up rule's filter and a park's
 * `wakeOn`: those their acceptors name, when every acceptor can only be satisfied by a named status (plain
 * equality). Undefined, meaning any status change matters, when an acceptor compares otherwise (`!=`,
 * `contains`, an order) or a stage decides on something but statuses. A stage that only waits for its jobs
 * to be visible (every acceptor reads `missingJobIds`) never parks (a park needs every job seen) and is
 * left out.
 */
export function statusesNamedBy(
  model: WaiterModel,
  stages: readonly string[],
  statuses: readonly string[],
): string[] | undefined {
  const named = new Set<string>();
  for (const stage of stages) {
    const acceptors = model.getWaiter(stage).acceptors;
    if (acceptors.every((acceptor) => String(acceptor.argument ?? '').includes('missingJobIds'))) continue;
    const text = JSON.stringify(acceptors);
    if (/!=|contains\(|starts_with\(|ends_with\(|[<>]/.test(text)) return undefined;
    const inStage = statuses.filter((status) => new RegExp(`\\b${status}\\b`).test(text));
    if (inStage.length === 0) return undefined;
    for (const status of inStage) named.add(status);
  }
  return named.size === 0 ? undefined : statuses.filter((status) => named.has(status));
}
