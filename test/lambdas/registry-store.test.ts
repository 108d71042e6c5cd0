import { describe, expect, it } from 'vitest';
import {
  RegistryCursorError,
  type RegistryStore,
  UNVERIFIED_OWNER,
} from '../../lambdas/registry/registry-store';
import { BATCH_STAGES, type RegistryView, registryViewOf, type WaitState } from '../../waiters';
import { waitState } from '../waiters/wait-state-fixture';
import { registryTables } from './local-tables';

const tables = registryTables();

/** A fresh registry table, with a clock that moves a second per call (so waits sort by creation). */
async function registry(): Promise<RegistryStore> {
  let now = Date.parse('2026-12-02T06:00:00Z');
  return tables.store(() => (now += 1000));
}

const view = (overrides: Partial<WaitState> = {}): RegistryView =>
  registryViewOf(waitState(overrides), BATCH_STAGES, '2026-12-02T07:00:00.000Z');

const ALICE = { id: 'AROAALICE', verified: true };
const BOB = { id: 'AIDABOB', verified: true };

/** The context of a poll in the execution the registry API started for the wait. */
const own = (waitId: string) => ({ executionArn: newWait(waitId).executionArn });

function newWait(waitId: string, owner = ALICE) {
  return {
    waitId,
    name: `load ${waitId}`,
    owner,
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:Waiter',
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:Waiter:${waitId}`,
    request: { jobId: 'job-1' },
    submitsJobs: false,
  };
}

describe('RegistryStore on DynamoDB (dynalite)', () => {
  it('records a started wait once, with its verified owner, as Pending', async () => {
    const store = await registry();
    expect(await store.register(newWait('w1'))).toBe(true);
    expect(await store.register({ ...newWait('w1'), owner: BOB })).toBe(false);
    expect(await store.get('w1')).toMatchObject({
      waitId: 'w1',
      owner: ALICE,
      status: 'PENDING',
      tethysStatus: 'Pending',
      executionArns: [newWait('w1').executionArn],
    });
    expect(await store.get('nope')).toBeUndefined();
  });

  it('keeps the newest poll’s view, never the owner a poll would give, and records a wait nobody registered as unverified', async () => {
    const store = await registry();
    await store.register(newWait('w1'));
    expect(await store.recordProgress('w1', view({ segmentPolls: 5 }), own('w1'))).toBe('written');
    const older = view({ segmentPolls: 4, jobs: [{ jobId: 'job-1', status: 'SUBMITTED', phase: 'queued' }] });
    expect(await store.recordProgress('w1', older, own('w1'))).toBe('stale');
    expect(await store.get('w1')).toMatchObject({ owner: ALICE, status: 'RUNNING', sequence: 100_005 });
    expect((await store.get('w1'))?.jobs?.[0]?.status).toBe('RUNNABLE');

    // Each execution of the wait is recorded once (a segment's beside the main one).
    const segment = 'arn:aws:states:us-east-1:123456789012:execution:WaiterSegment:w1-2';
    await store.recordProgress('w1', view({ segments: 2, segmentPolls: 1 }), { executionArn: segment });
    await store.recordProgress('w1', view({ segments: 2, segmentPolls: 2, stageIndex: 2 }), {
      executionArn: segment,
    });
    expect((await store.get('w1'))?.executionArns).toEqual([newWait('w1').executionArn, segment].sort());

    expect(await store.recordProgress('w2', view(), { ownerHint: 'schedule nightly', name: 'nightly' })).toBe(
      'written',
    );
    expect(await store.get('w2')).toMatchObject({
      name: 'nightly',
      owner: { id: UNVERIFIED_OWNER, verified: false, hint: 'schedule nightly' },
      tethysStatus: 'Submitted',
    });
  });

  it('takes a registered wait’s polls only from its own executions: the one started for it, and its segments', async () => {
    const store = await registry();
    await store.register(newWait('w1'));
    const other = 'arn:aws:states:us-east-1:123456789012:execution:Other:w1';
    expect(await store.recordProgress('w1', view({ segmentPolls: 2 }), { executionArn: other })).toBe(
      'stale',
    );
    expect(await store.recordProgress('w1', view({ segmentPolls: 3 }), {})).toBe('stale');
    expect(await store.recordProgress('w1', view({ segmentPolls: 4 }), own('w1'))).toBe('written');
    const segment = 'arn:aws:states:us-east-1:123456789012:execution:WaiterSegment:w1-3';
    expect(
      await store.recordProgress('w1', view({ segments: 3, segmentPolls: 1 }), { executionArn: segment }),
    ).toBe('written');
    const notSegment = 'arn:aws:states:us-east-1:123456789012:execution:WaiterSegment:w1-3x';
    expect(
      await store.recordProgress('w1', view({ segments: 4, segmentPolls: 1 }), { executionArn: notSegment }),
    ).toBe('stale');
    expect((await store.get('w1'))?.executionArns).not.toContain(other);
  });

  it('ends a wait once its execution ended: a stopped one is Aborted, and no poll writes after the end', async () => {
    const store = await registry();
    await store.register(newWait('w1'));
    await store.recordProgress(
      'w1',
      view({ jobs: [{ jobId: 'job-1', status: 'RUNNING', phase: 'running' }] }),
      own('w1'),
    );
    expect(await store.recordEnd('w1', 'ABORTED', '2026-12-02T08:00:00.000Z')).toBe(true);
    expect(await store.recordEnd('w1', 'ABORTED', '2026-12-02T09:00:00.000Z')).toBe(true);
    expect(await store.recordProgress('w1', view({ segmentPolls: 99 }), own('w1'))).toBe('stale');
    expect(await store.get('w1')).toMatchObject({
      status: 'ABORTED',
      tethysStatus: 'Aborted',
      final: true,
      completedAt: '2026-12-02T08:00:00.000Z',
    });
    expect(await store.recordEnd('unknown', 'SUCCEEDED', '2026-12-02T08:00:00.000Z')).toBe(false);

    // A cancel that raced the end never relabels it.
    await store.register(newWait('w2'));
    await store.recordProgress('w2', view({ status: 'SUCCEEDED', state: 'success' }), own('w2'));
    expect(await store.recordEnd('w2', 'ABORTED', '2026-12-02T08:00:00.000Z', 'cancelled')).toBe(true);
    expect(await store.get('w2')).toMatchObject({
      status: 'SUCCEEDED',
      tethysStatus: 'Complete',
      final: true,
    });
  });

  it('lists an owner’s waits newest first, page by page, by status, and nobody else’s', async () => {
    const store = await registry();
    for (const id of ['a1', 'a2', 'a3']) await store.register(newWait(id));
    await store.register(newWait('b1', BOB));
    await store.recordProgress(
      'a2',
      view({ jobs: [{ jobId: 'job-1', status: 'RUNNING', phase: 'running' }] }),
      own('a2'),
    );

    const first = await store.list({ ownerId: ALICE.id }, { limit: 2 });
    expect(first.records.map((record) => record.waitId)).toEqual(['a3', 'a2']);
    expect(first.records[0]).not.toHaveProperty('ownerId');
    const second = await store.list({ ownerId: ALICE.id }, { limit: 2, cursor: first.cursor as string });
    expect(second.records.map((record) => record.waitId)).toEqual(['a1']);
    expect(
      (await store.list({ ownerId: ALICE.id }, { limit: 10, tethys: 'Running' })).records.map(
        (r) => r.waitId,
      ),
    ).toEqual(['a2']);
    expect((await store.list({ ownerId: BOB.id }, { limit: 10 })).records.map((r) => r.waitId)).toEqual([
      'b1',
    ]);
    expect((await store.list({ all: true }, { limit: 10 })).records.map((r) => r.waitId)).toEqual([
      'b1',
      'a3',
      'a2',
      'a1',
    ]);

    // A cursor is good for the listing that gave it only.
    await expect(
      store.list({ ownerId: BOB.id }, { limit: 2, cursor: first.cursor as string }),
    ).rejects.toThrow(RegistryCursorError);
    await expect(store.list({ ownerId: ALICE.id }, { limit: 2, cursor: 'not a cursor' })).rejects.toThrow(
      /cursor: expected/,
    );
  });

  it('deletes only a finished wait, for good: a late end event or poll cannot bring it back', async () => {
    const store = await registry();
    await store.register(newWait('w1'));
    expect(await store.markDeleted('w1')).toBe(false);
    await store.recordProgress('w1', view({ status: 'SUCCEEDED', state: 'success' }), own('w1'));
    expect(await store.markDeleted('w1')).toBe(true);
    expect(await store.get('w1')).toBeUndefined();
    expect((await store.list({ ownerId: ALICE.id }, { limit: 10 })).records).toEqual([]);
    expect(await store.recordEnd('w1', 'SUCCEEDED', '2026-12-02T08:00:00.000Z')).toBe(false);
    expect(await store.recordProgress('w1', view({ segmentPolls: 50 }), own('w1'))).toBe('stale');
    expect(await store.get('w1')).toBeUndefined();
    expect(await store.markDeleted('w1')).toBe(false);
  });
});
