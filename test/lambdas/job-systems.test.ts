import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { DescribeJobsCommand } from '@aws-sdk/client-batch';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lambdas/invalid-input';
import { JOB_SYSTEMS, registeredJobSystem } from '../../lambdas/job-systems';
import { parsePollerConfig } from '../../lambdas/poller-config';
import { batchWaiterModel } from '../../waiters';
import { importedSpecifiers, sourceFiles } from '../waiters/import-boundary';
import { createHarness, describeOutput, job, pollerConfig } from './fixtures';

const root = join(__dirname, '..', '..');

/** Source without comments: what a module does, not what it explains. */
const code = (file: string) =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

describe('the job-system seam', () => {
  // The engine and the poller reach a system only through the registry (lambdas/job-systems.ts) and the
  // barrel's re-exports; none imports a system's folder.
  const generic = [
    ...sourceFiles(join(root, 'waiters')).filter(
      (file) => join(file, '..') === join(root, 'waiters') && basename(file) !== 'index.ts',
    ),
    ...sourceFiles(join(root, 'lambdas')).filter(
      (file) => join(file, '..') === join(root, 'lambdas') && basename(file) !== 'job-systems.ts',
    ),
  ];

  it('leaves the engine and the poller importing no system folder', () => {
    expect(generic.map((file) => basename(file))).toEqual(
      expect.arrayContaining(['progress.ts', 'cause.ts', 'poll.ts', 'poller-config.ts', 'wait-state.ts']),
    );
    for (const file of generic) {
      const systemImports = importedSpecifiers(readFileSync(file, 'utf8')).filter((specifier) =>
        Object.keys(JOB_SYSTEMS).some((id) => specifier.split('/').includes(id)),
      );
      expect(systemImports, file).toEqual([]);
    }
  });

  it('leaves the engine, the poller and its config testing no system status and naming no Batch call or client', () => {
    const engine = ['waiters/progress.ts', 'waiters/cause.ts', 'lambdas/poll.ts', 'lambdas/poller-config.ts'];
    for (const file of engine) {
      expect(code(join(root, file)), file).not.toMatch(
        // A job's own status is the system's word: the engine decides by phase (the wait's outcome
        // vocabulary, SUCCEEDED/FAILED/..., is its own and may appear).
        /\bjob\.status\b|\bstatus === '[A-Z]+'|DescribeJobs|ListJobs|BatchClient|batchJobSystem|batchWaiterModel/,
      );
    }
  });

  it('refuses a config naming a system nobody registered, listing those that are', () => {
    let refused: unknown;
    try {
      parsePollerConfig(JSON.stringify({ ...pollerConfig(), system: 'airflow' }));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).field).toBe('config.system');
    expect((refused as InvalidInputError).message).toContain(Object.keys(JOB_SYSTEMS).join(', '));
    expect((refused as InvalidInputError).message).toContain('"airflow"');
  });

  it('keeps polling DescribeJobs for an in-flight config whose waiters name another operation, as its poller did', async () => {
    const legacy = batchWaiterModel.withOverrides({
      JobExists: { operation: 'describeJobs' },
      JobRunning: { operation: 'describeJobs' },
      JobComplete: { operation: 'describeJobs' },
    });
    const h = createHarness({ model: legacy.toJSON() });
    h.batchMock.on(DescribeJobsCommand).resolves(describeOutput(job('a1', 'SUCCEEDED')));
    expect((await h.first({ jobId: 'a1' })).state).toBe('success');
    expect(h.batchMock.commandCalls(DescribeJobsCommand)).toHaveLength(1);
    // A config naming a system is held to its operations, in flight too.
    expect(() =>
      parsePollerConfig(JSON.stringify({ ...pollerConfig({ model: legacy.toJSON() }), system: 'batch' })),
    ).toThrow(/config.model.waiters.JobExists.operation/);
  });

  it('reads a config written before systems were pluggable as a Batch one', () => {
    const { system } = parsePollerConfig(JSON.stringify(pollerConfig()));
    expect(system).toBe(registeredJobSystem('batch'));
    expect(system.model.id).toBe('batch');
  });

  it('registers each system under the id its model carries, its waiters polling operations it implements', () => {
    for (const [id, { model }] of Object.entries(JOB_SYSTEMS)) {
      expect(model.id).toBe(id);
      for (const stage of model.stages) {
        expect(model.operations).toContain(model.waiterModel.getWaiter(stage).operation);
        expect(model.defaultDelays[stage], `${id} ${stage}`).toBeDefined();
      }
    }
  });
});
