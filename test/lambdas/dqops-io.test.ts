import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dqopsIo } from '../../lambdas/dqops/io';
import { allowedEndpoint, allowedEndpoints, checkBaseUrl, ENDPOINTS_ENV } from '../../lambdas/endpoints';
import { CALL_BUDGET_MS } from '../../lambdas/http-session';
import { InvalidInputError } from '../../lambdas/invalid-input';
import { cachedSecret } from '../../lambdas/secrets';
import { DqopsEmulator } from '../../lib/local/dqops-emulator';
import { loopbackFetch } from '../../lib/local/loopback-fetch';
import { VirtualClock } from '../../lib/local/virtual-clock';

const BASE = 'https://dqops.example.com';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dqops-key-AbCdEf';

const clock = new VirtualClock(Date.parse('2026-03-01T00:00:00Z'));
let emulator: DqopsEmulator;
const secrets = mockClient(SecretsManagerClient);

beforeAll(async () => {
  emulator = await DqopsEmulator.start({ clock, apiKey: 'key-1', historySeconds: 600 });
});
afterAll(() => emulator.stop());
beforeEach(() => {
  secrets.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: 'key-1' }) });
  emulator.setFaults({});
});

function io() {
  const client = new SecretsManagerClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  return dqopsIo({
    baseUrl: BASE,
    secret: { secretArn: SECRET, source: cachedSecret(client, SECRET, () => clock.now()) },
    fetch: loopbackFetch(emulator.origin),
    now: () => clock.now(),
  });
}

describe('DQOps I/O against the emulator', () => {
  it('reads jobs by id in one status call, leaving out those DQOps does not know (404)', async () => {
    const id = emulator.startJob({ queuedSeconds: 0 });
    const result = await io().status('GetJob', [id, '1234']);
    expect(result).toMatchObject({
      httpStatusCode: 200,
      output: { jobs: [{ jobId: { jobId: Number(id) }, status: 'running' }] },
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('finds a job by business key, and nothing for an unknown key', async () => {
    const id = emulator.startJob({}, 'orders/nightly 2026-03-01');
    expect(await io().findByKey?.({ jobName: 'orders/nightly 2026-03-01', newest: false })).toEqual([
      { jobId: id, createdAt: clock.now(), status: 'queued' },
    ]);
    expect(await io().findByKey?.({ jobName: 'no-such-key', newest: false })).toEqual([]);
  });

  it('reads the key again once after a 401 (a rotated key) and goes on with the new one', async () => {
    const id = emulator.startJob();
    const rotating = io();
    await rotating.status('GetJob', [id]);
    // DQOps and the secret move to a new key; this warm poller still holds the old one.
    emulator.setApiKey('key-2');
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'key-2' });
    try {
      expect(await rotating.status('GetJob', [id])).toMatchObject({ httpStatusCode: 200 });
      expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      expect(emulator.requests.slice(-2).map((request) => request.status)).toEqual([401, 200]);
    } finally {
      emulator.setApiKey('key-1');
    }
  });

  it('never carries the key into an answer, even from a proxy page that echoes the request', async () => {
    emulator.setFaults({ echoHeadersNext: 2 });
    const result = await io().status('GetJob', [emulator.startJob()]);
    expect(result).toMatchObject({ error: { name: 'Unauthorized' }, httpStatusCode: 401 });
    expect(JSON.stringify(result)).toContain('<redacted>');
    expect(JSON.stringify(result)).not.toContain('key-1');
  });

  it('gives up on a hung DQOps within its call budget, as a transient error (a retry in the machine)', async () => {
    emulator.setFaults({ hangNext: 1 });
    let calls = 0;
    const started = Date.now();
    const hurried = dqopsIo({
      baseUrl: BASE,
      fetch: loopbackFetch(emulator.origin),
      // Almost all of the budget already spent: the one call gets what is left (half a second).
      wallClock: () => (calls++ === 0 ? Date.now() : Date.now() + CALL_BUDGET_MS - 500),
    });
    expect(await hurried.status('GetJob', [emulator.startJob()])).toEqual({
      kind: 'transient',
      errorName: 'TimeoutError',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('names a refusal that outlives the refresh, without the key', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ apiKey: 'wrong-key' }) });
    const result = await io().status('GetJob', [emulator.startJob()]);
    expect(result).toMatchObject({ error: { name: 'Unauthorized' }, httpStatusCode: 401 });
    expect(JSON.stringify(result)).not.toContain('wrong-key');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reports 429 as a throttle with its Retry-After, 503 and a lost connection as transient', async () => {
    const id = emulator.startJob();
    emulator.setFaults({ throttleNext: 1, retryAfterSeconds: 120 });
    expect(await io().status('GetJob', [id])).toEqual({
      kind: 'throttled',
      errorName: 'HTTP 429',
      retryAfterSeconds: 120,
    });
    emulator.setFaults({ serverErrorNext: 1 });
    expect(await io().status('GetJob', [id])).toEqual({ kind: 'transient', errorName: 'HTTP 503' });
    const closed = dqopsIo({ baseUrl: BASE, fetch: loopbackFetch('http://127.0.0.1:9') });
    expect(await closed.status('GetJob', [id])).toMatchObject({ kind: 'transient' });
  });

  it('fails closed on a body that is not a DQOps job', async () => {
    emulator.setFaults({ garbageNext: 1 });
    const result = await io().status('GetJob', [emulator.startJob()]);
    expect(result).toMatchObject({
      error: { name: 'InvalidResponse', message: expect.stringContaining('Bad Gateway') },
    });
  });

  it('cancels a running job (cancel_requested, then cancelled) and leaves a finished one as it was', async () => {
    const running = emulator.startJob({ queuedSeconds: 0, runSeconds: 600 });
    const finished = emulator.startJob({ queuedSeconds: 0, runSeconds: 0 });
    clock.advanceSeconds(1);
    expect(await io().cancel?.([running, finished])).toEqual({
      cancelled: [running, finished],
      failures: [],
    });
    expect(emulator.job(running)?.status).toBe('cancel_requested');
    clock.advanceSeconds(5);
    expect(emulator.job(running)?.status).toBe('cancelled');
    expect(emulator.job(finished)?.status).toBe('finished');
    // A DELETE that fails is reported, never counted as cancelled.
    const other = emulator.startJob({ queuedSeconds: 0, runSeconds: 600 });
    emulator.setFaults({ failDeletesNext: 1 });
    expect(await io().cancel?.([other])).toEqual({ cancelled: [], failures: [`${other}: HTTP 503`] });
    expect(emulator.job(other)?.status).toBe('running');
  });
});

describe('endpoints a poller may call', () => {
  it('takes https base URLs only, without credentials, query or fragment', () => {
    expect(checkBaseUrl('https://dqops.example.com/', 'f')).toBe('https://dqops.example.com');
    for (const bad of [
      'http://dqops.example.com',
      'https://user:pw@dqops.example.com',
      'https://x.example.com/?a=1',
      'dqops',
      42,
    ]) {
      expect(() => checkBaseUrl(bad, 'config.endpoint'), String(bad)).toThrow(InvalidInputError);
    }
  });

  it('lets a config name only an endpoint the environment allows, for its own system', () => {
    const env = { [ENDPOINTS_ENV]: JSON.stringify([{ system: 'dqops', baseUrl: BASE, secretArn: SECRET }]) };
    expect(allowedEndpoint(allowedEndpoints(env), 'dqops', BASE)).toEqual({
      system: 'dqops',
      baseUrl: BASE,
      secretArn: SECRET,
    });
    expect(() => allowedEndpoint(allowedEndpoints(env), 'dqops', 'https://evil.example.com')).toThrow(
      /allowed to call for dqops \(https:\/\/dqops.example.com\)/,
    );
    expect(() => allowedEndpoint(allowedEndpoints(env), 'airbyte', BASE)).toThrow(/\(none\)/);
    expect(() => allowedEndpoints({ [ENDPOINTS_ENV]: 'not json' })).toThrow(InvalidInputError);
  });
});
