import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { synthesizeWaiter } from '../../lib/local/local-waiter';
import { POLL_EVENT_SCHEMA_VERSION, SUPPORTED_SCHEMA_VERSIONS, type WaitState } from '../../waiters';
import { createHarness, describeOutput, isWaitState, job } from './fixtures';

const ID = 'f3b1c0de-0000-4000-8000-00000000000a';

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: { Payload?: { schemaVersion?: number } };
}

/** The schema version every poller invocation of a definition sends. */
function sentVersions(definition: { States: Record<string, unknown> }): number[] {
  return Object.values(definition.States as Record<string, AslState>)
    .filter((state) => state.Resource === 'arn:aws:states:::lambda:invoke')
    .map((state) => state.Parameters?.Payload?.schemaVersion as number);
}

/** The definitions stepwait 0.1.0 deployed, as synthesized then (test/fixtures). */
const deployed = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'deployed-0.1.0-waiter.json'), 'utf8'),
) as { main: { definition: { States: Record<string, unknown> } } };

describe('poll event schema versions', () => {
  it('every poll of the synthesized machines sends the version this poller speaks', () => {
    const synthesized = synthesizeWaiter();
    for (const definition of [synthesized.definition, synthesized.segment.definition]) {
      const versions = sentVersions(definition);
      expect(versions.length).toBeGreaterThanOrEqual(3);
      expect(new Set(versions)).toEqual(new Set([POLL_EVENT_SCHEMA_VERSION]));
    }
  });

  it('accepts the version the machines deployed by stepwait 0.1.0 still send', () => {
    const versions = new Set(sentVersions(deployed.main.definition));
    expect(versions).toEqual(new Set([2]));
    for (const version of versions) expect(SUPPORTED_SCHEMA_VERSIONS).toContain(version);
  });

  it('finishes a wait started before the deploy: a version-1 event with a version-1 state', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNING')));
    const started = await h.first({ jobId: ID });
    // What a version-1 poller returned: no per-execution poll count, no segment count, no wait id.
    const { segmentPolls: _polls, segments: _segments, waitId: _id, ...versionOne } = started;
    h.advance(started.delaySeconds);
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'SUCCEEDED')));
    const result = await h.handler({ schemaVersion: 1, config: h.config, state: versionOne as WaitState });
    expect(isWaitState(result)).toBe(true);
    expect(result).toMatchObject({ state: 'success', status: 'SUCCEEDED', segmentPolls: 1, segments: 1 });
    expect((result as WaitState).deadline).toBe(started.deadline);
  });

  it('gives a version-2 wait (stepwait 0.1.0) a wait id at its next poll, and keeps it', async () => {
    const h = createHarness();
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job(ID, 'RUNNABLE')));
    const { waitId: _id, ...versionTwo } = await h.first({ jobId: ID });
    const next = await h.handler({ schemaVersion: 2, config: h.config, state: versionTwo as WaitState });
    const minted = (next as WaitState).waitId;
    expect(minted).toMatch(/^wait-\d+$/);
    const after = await h.handler({ schemaVersion: 2, config: h.config, state: next as WaitState });
    expect((after as WaitState).waitId).toBe(minted);
  });

  it('refuses a version it does not know, naming the field and the versions it knows', async () => {
    const h = createHarness();
    const unknown = Math.max(...SUPPORTED_SCHEMA_VERSIONS) + 1;
    await expect(
      h.handler({ schemaVersion: unknown, config: h.config, state: { request: { jobId: ID } } }),
    ).rejects.toThrowError(`schemaVersion: expected one of ${SUPPORTED_SCHEMA_VERSIONS.join(', ')}`);
  });
});
