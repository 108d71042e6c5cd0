import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, accountClientsAs, BOB, localRegistryApi } from '../../lambdas/local-registry-api';
import { registryTables } from '../../lambdas/local-tables';
import { onlyJson, run } from './harness';

/**
 * `stepwait start | status | cancel --registry` and `stepwait resubmit` against the registry API on a local
 * function URL that checks SigV4, each signed with the calling user's own (local) keys.
 */
const tables = registryTables();
let api: Awaited<ReturnType<typeof localRegistryApi>>;
let registry: string[];

const as = accountClientsAs;

beforeAll(async () => {
  api = await localRegistryApi(tables);
  registry = ['--registry-url', api.url.url];
});

afterAll(async () => {
  await api.stop();
});

describe('the account commands through the registry of waits', () => {
  it('starts a wait recorded as the caller’s, shows it to its owner only, and cancels it once', async () => {
    const started = await run(
      'start',
      [
        '--job-id',
        'job-41',
        '--name',
        'nightly load',
        '--property',
        'team=data',
        '--waiter',
        'waiter',
        ...registry,
        '--json',
      ],
      { factory: as(ALICE) },
    );
    expect(started.code).toBe(0);
    const { wait, input } = onlyJson(started.stdout) as {
      wait: { waitId: string; name: string; tethysStatus: string; properties: unknown; owner: unknown };
      input: unknown;
    };
    expect(input).toEqual({ jobId: 'job-41' });
    expect(wait).toMatchObject({
      name: 'nightly load',
      tethysStatus: 'Pending',
      properties: { team: 'data' },
      owner: { display: 'role/alice', verified: true },
    });

    const status = await run('status', [wait.waitId, ...registry], { factory: as(ALICE) });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^ *name +nightly load$/m);
    expect(status.stdout).toMatch(/^ *status +Pending \(PENDING\)$/m);
    expect(status.stdout).toMatch(/^ *actions +cancel$/m);
    const bobs = await run('status', [wait.waitId, ...registry, '--json'], { factory: as(BOB) });
    expect(bobs.code).toBe(1);
    expect(onlyJson(bobs.stdout)).toMatchObject({ error: { code: 'RegistryNoSuchWait' } });

    const cancelled = await run('cancel', [wait.waitId, ...registry], { factory: as(ALICE) });
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(/^ *status +Aborted \(ABORTED\)$/m);
    expect(cancelled.stdout).toMatch(/^ *terminated +none \(the wait submitted no job\)$/m);
    const again = await run('cancel', [wait.waitId, ...registry, '--json'], { factory: as(ALICE) });
    expect(again.code).toBe(1);
    expect(onlyJson(again.stdout)).toMatchObject({ error: { code: 'RegistryNotActive' } });
  });

  it('resubmits a finished submit-and-wait under a new key, and refuses one still running', async () => {
    const started = await run(
      'start',
      ['--job-name', 'nightly-etl', '--waiter', 'loader', ...registry, '--json'],
      { factory: as(BOB) },
    );
    const { wait } = onlyJson(started.stdout) as { wait: { waitId: string; name: string } };
    // The business key is the default name.
    expect(wait.name).toBe('nightly-etl');
    const running = await run('resubmit', [wait.waitId, ...registry, '--json'], { factory: as(BOB) });
    expect(running.code).toBe(1);
    expect(onlyJson(running.stdout)).toMatchObject({ error: { code: 'RegistryStillActive' } });

    await api.store.recordEnd(wait.waitId, 'SUCCEEDED', new Date().toISOString());
    const resubmitted = await run('resubmit', [wait.waitId, ...registry, '--json'], { factory: as(BOB) });
    expect(resubmitted.code).toBe(0);
    const again = onlyJson(resubmitted.stdout) as {
      resubmittedFrom: string;
      wait: { waitId: string; properties: Record<string, string> };
    };
    expect(again.resubmittedFrom).toBe(wait.waitId);
    expect(again.wait.waitId).not.toBe(wait.waitId);
    expect(again.wait.properties.resubmittedFrom).toBe(wait.waitId);
    // Started with the derived key, which the record's request keeps.
    expect((await api.store.get(again.wait.waitId))?.request).toMatchObject({
      jobName: `nightly-etl-rs-${again.wait.waitId.slice(0, 8)}`,
    });
  });

  it('serves the jobs page with stepwait ui, signing its calls as the caller, until stopped', async () => {
    const mine = await run(
      'start',
      ['--job-id', 'job-ui', '--name', 'ui-wait', '--waiter', 'waiter', ...registry],
      {
        factory: as(BOB),
      },
    );
    expect(mine.code).toBe(0);
    const served = await run('ui', [...registry, '--refresh', '2'], {
      factory: as(BOB),
      untilStopped: async (stdout) => {
        const url = /The jobs page: (\S+)/.exec(stdout())?.[1] as string;
        const { origin, hash } = new URL(url);
        const token = new URLSearchParams(hash.slice(1)).get('token') as string;
        const config = await fetch(`${origin}/api/config`, { headers: { 'x-stepwait-token': token } });
        expect(await config.json()).toEqual({ refreshSeconds: 2, all: false, consoleRegion: 'us-east-1' });
        const listed = await fetch(`${origin}/api/waits`, { headers: { 'x-stepwait-token': token } });
        const names = ((await listed.json()) as { waits: { name: string }[] }).waits.map((wait) => wait.name);
        expect(names).toContain('ui-wait');
        // Bob's own waits only: no one else's, though ?all=true was asked for (the server starts without --all).
        expect(names.every((name) => name === 'ui-wait' || name.startsWith('nightly-etl'))).toBe(true);
        const everyone = await fetch(`${origin}/api/waits?all=true`, {
          headers: { 'x-stepwait-token': token },
        });
        expect(((await everyone.json()) as { waits: unknown[] }).waits).toHaveLength(names.length);
      },
    });
    expect(served.code).toBe(0);
  });

  it.each([
    ['start', ['--job-id', 'j', '--name', 'x'], /--name: only with --registry/],
    [
      'start',
      ['--job-id', 'j', '--registry-url', 'http://127.0.0.1:1/', '--wait'],
      /--wait: not with --registry/,
    ],
    ['status', ['not-a-wait-id', '--registry'], /WAIT: with --registry, expected a wait id/],
    [
      'cancel',
      ['c0000000-0000-4000-8000-000000000001', '--registry', '--terminate-job'],
      /--terminate-job, --reason: not with --registry/,
    ],
    ['resubmit', [], /WAIT is missing/],
    ['ui', ['--refresh', '0', '--registry'], /--refresh: expected a whole number from 1 to 300/],
    ['ui', ['--port', '80', '--registry'], /--port: expected a whole number from 1024 to 65535/],
  ] as const)('%s %j is a usage error (exit 2)', async (command, args, message) => {
    const result = await run(command, [...args], { factory: as(ALICE) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
