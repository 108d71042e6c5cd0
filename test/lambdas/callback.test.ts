import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK_MIN_INTERVAL_MS, createCallbackHandler } from '../../lambdas/callback';
import type { SecretSource } from '../../lambdas/secrets';
import { type SigningKeys, signCallbackUrl } from '../../lambdas/wake-up/callback-url';
import { callbackParkRecord, type ParkRecord } from '../../lambdas/wake-up/park-store';
import { LOCAL_CLIENT_SETTINGS } from '../../lib/local/template';
import { CALLBACK_SYSTEM } from '../../waiters';
import { parkTables } from './local-tables';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const BASE = 'https://abc123.lambda-url.us-east-1.on.aws';
const K1 = 'k1-secret-0123456789abcdef';
const K2 = 'k2-secret-fedcba9876543210';
const expires = T0 / 1000 + 3600;

const newStore = parkTables();

const sfn = new SFNClient({ ...LOCAL_CLIENT_SETTINGS, maxAttempts: 1 });
const sfnMock = mockClient(sfn);
beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskSuccessCommand).resolves({});
});

/** The secret as Secrets Manager would hand it over (the source itself is lambdas/secrets.ts's, tested there). */
const keysSource = (value: object): SecretSource & { value: string } => {
  const source = {
    value: JSON.stringify(value),
    read: async () => source.value,
    refresh: async () => source.value,
  };
  return source;
};

function parked(waitId: string, taskToken: string): ParkRecord {
  return callbackParkRecord({ waitId, stageIndex: 2, taskToken, parkedAt: T0, expiresAt: T0 / 1000 + 7200 });
}

/** A function URL event (payload format 2.0) for `url`, as Lambda passes it. */
function request(url: string, method = 'POST', body?: string): LambdaFunctionURLEvent {
  const parsed = new URL(url);
  return {
    version: '2.0',
    rawPath: parsed.pathname,
    rawQueryString: parsed.search.slice(1),
    queryStringParameters: Object.fromEntries(parsed.searchParams),
    headers: {},
    requestContext: { http: { method } },
    ...(body === undefined ? {} : { body, isBase64Encoded: false }),
  } as unknown as LambdaFunctionURLEvent;
}

async function setUp(secret: object = { current: 'k1', k1: K1 }) {
  const clock = { now: T0 };
  const store = await newStore(() => clock.now);
  const keys = keysSource(secret);
  const handler = createCallbackHandler({ store, sfn, keys, now: () => clock.now, log: () => {} });
  const call = async (event: LambdaFunctionURLEvent) => {
    const response = (await handler(event)) as { statusCode: number; body: string };
    return { status: response.statusCode, body: JSON.parse(response.body) };
  };
  return { clock, store, keys, call };
}

const urlFor = (waitId: string, keys: SigningKeys = { current: 'k1', keys: { k1: K1 } }, until = expires) =>
  signCallbackUrl(BASE, waitId, until, keys);

describe('the callback function', () => {
  it('wakes the parked wait a signed URL names, once, and never more often than every 10 s', async () => {
    const { clock, store, call } = await setUp();
    await store.put([parked('wait-a', 'token-a'), parked('wait-b', 'token-b')]);
    expect(await call(request(urlFor('wait-a')))).toEqual({
      status: 202,
      body: { waitId: 'wait-a', woke: 1 },
    });
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input.taskToken)).toEqual([
      'token-a',
    ]);
    expect(await store.parksOn(CALLBACK_SYSTEM, 'wait-a')).toEqual([]);
    expect(await store.parksOn(CALLBACK_SYSTEM, 'wait-b')).toHaveLength(1);

    await store.put([parked('wait-a', 'token-a2')]);
    clock.now += CALLBACK_MIN_INTERVAL_MS - 1;
    expect(await call(request(urlFor('wait-a'), 'GET'))).toMatchObject({
      status: 429,
      body: { error: 'RateLimited' },
    });
    clock.now += 1;
    expect(await call(request(urlFor('wait-a'), 'GET'))).toEqual({
      status: 202,
      body: { waitId: 'wait-a', woke: 1 },
    });
  });

  it('refuses, naming why and waking nothing: bad signatures, unknown keys, expiry, odd methods, paths and bodies', async () => {
    const { clock, store, call } = await setUp();
    await store.put([parked('wait-a', 'token-a')]);
    const good = urlFor('wait-a');
    const cases: [LambdaFunctionURLEvent, number, string][] = [
      [request(good.replace(/signature=./, 'signature=A')), 403, 'BadSignature'],
      [request(urlFor('wait-b').replace('/wake/wait-b', '/wake/wait-a')), 403, 'BadSignature'],
      [request(good.replace(`expires=${expires}`, `expires=${expires + 1}`)), 403, 'BadSignature'],
      [request(good.replace('keyId=k1', 'keyId=k9')), 403, 'UnknownKeyId'],
      [request(urlFor('wait-a', undefined, T0 / 1000)), 410, 'Expired'],
      [request(good.replace(/&signature=[^&]*/, '')), 400, 'MalformedUrl'],
      [request(good.replace('/wake/', '/sleep/')), 404, 'UnknownPath'],
      [request(good, 'DELETE'), 405, 'MethodNotAllowed'],
      [request(good, 'POST', '{"status":'), 400, 'MalformedBody'],
      [request(good, 'POST', '[1,2]'), 400, 'MalformedBody'],
      [request(good, 'POST', JSON.stringify({ log: 'x'.repeat(5_000) })), 413, 'BodyTooLarge'],
    ];
    for (const [event, status, error] of cases) {
      expect(await call(event), `${event.rawPath}?${event.rawQueryString}`).toMatchObject({
        status,
        body: { error },
      });
      clock.now += CALLBACK_MIN_INTERVAL_MS;
    }
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(await store.parksOn(CALLBACK_SYSTEM, 'wait-a')).toHaveLength(1);
    // A body that is a small JSON object is fine (Tethys' callbacks send the job's status).
    expect(await call(request(good, 'POST', '{"status":"COMPLETE"}'))).toMatchObject({
      status: 202,
      body: { woke: 1 },
    });
  });

  it('keeps URLs signed with an old key valid while the key stays in the secret, so keys rotate', async () => {
    const { clock, store, keys, call } = await setUp();
    const old = urlFor('wait-a');
    keys.value = JSON.stringify({ current: 'k2', k1: K1, k2: K2 });
    await store.put([parked('wait-a', 'token-a')]);
    expect(await call(request(old))).toMatchObject({ status: 202, body: { woke: 1 } });
    clock.now += CALLBACK_MIN_INTERVAL_MS;
    keys.value = JSON.stringify({ current: 'k2', k2: K2 });
    expect(await call(request(old))).toMatchObject({ status: 403, body: { error: 'UnknownKeyId' } });
    expect(await call(request(urlFor('wait-a', { current: 'k2', keys: { k2: K2 } })))).toMatchObject({
      status: 202,
    });
  });

  it('reads the keys again (at most once a minute) when a URL names a key this container has not seen', async () => {
    const clock = { now: T0 };
    const store = await newStore(() => clock.now);
    // What a cached source does: read() keeps the old value, refresh() reads the rotated one.
    let stored = JSON.stringify({ current: 'k1', k1: K1 });
    const cached = JSON.parse(JSON.stringify(stored)) as string;
    let refreshes = 0;
    const keys: SecretSource = {
      read: async () => cached,
      refresh: async () => {
        refreshes++;
        return stored;
      },
    };
    const handler = createCallbackHandler({ store, sfn, keys, now: () => clock.now, log: () => {} });
    stored = JSON.stringify({ current: 'k2', k1: K1, k2: K2 });
    const signedWithK2 = urlFor('wait-r', { current: 'k2', keys: { k2: K2 } });
    expect((await handler(request(signedWithK2))) as { statusCode: number }).toMatchObject({
      statusCode: 202,
    });
    expect(refreshes).toBe(1);
    // A made-up key id within the minute is refused without another read.
    clock.now += CALLBACK_MIN_INTERVAL_MS;
    const madeUp = urlFor('wait-r', { current: 'k7', keys: { k7: 'k7-secret-0123456789abcd' } });
    expect((await handler(request(madeUp))) as { statusCode: number }).toMatchObject({ statusCode: 403 });
    expect(refreshes).toBe(1);
  });

  it('answers 1,000 random requests with 4xx and a named reason unless valid, waking only for valid ones', async () => {
    const { clock, store, call } = await setUp({ current: 'k2', k1: K1, k2: K2 });
    const waits = ['wait-0', 'wait-1', 'wait-2'];
    const keys = { current: 'k2', keys: { k1: K1, k2: K2 } };
    const mutation = fc.oneof(
      fc.constant('none'),
      fc.constant('replay'),
      fc.constant('bad-signature'),
      fc.constant('old-key'),
      fc.constant('removed-key'),
      fc.constant('expired'),
      fc.constant('other-wait'),
      fc.constant('no-query'),
      fc.constant('oversized'),
      fc.constant('malformed'),
      fc.constant('method'),
    );
    let validCalls = 0;
    let parksWoken = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...waits),
        mutation,
        fc.string({ maxLength: 40 }),
        async (waitId, how, noise) => {
          if (how !== 'replay') clock.now += CALLBACK_MIN_INTERVAL_MS;
          const isParked = (await store.parksOn(CALLBACK_SYSTEM, waitId)).length > 0;
          if (!isParked && noise.length % 2 === 0) await store.put([parked(waitId, `token-${clock.now}`)]);
          const nowParked = (await store.parksOn(CALLBACK_SYSTEM, waitId)).length;
          let url = signCallbackUrl(BASE, waitId, clock.now / 1000 + 600, keys);
          let method = noise.length % 3 === 0 ? 'GET' : 'POST';
          let body: string | undefined;
          if (how === 'bad-signature')
            url = url.replace(/signature=[^&]/, (m) =>
              m.endsWith('A') ? `${m.slice(0, -1)}B` : `${m.slice(0, -1)}A`,
            );
          if (how === 'old-key')
            url = signCallbackUrl(BASE, waitId, clock.now / 1000 + 600, { current: 'k1', keys: { k1: K1 } });
          if (how === 'removed-key')
            url = signCallbackUrl(BASE, waitId, clock.now / 1000 + 600, {
              current: 'k0',
              keys: { k0: 'k0-secret-0123456789ab' },
            });
          if (how === 'expired') url = signCallbackUrl(BASE, waitId, clock.now / 1000 - 1, keys);
          if (how === 'other-wait') url = url.replace(`/wake/${waitId}`, `/wake/${waitId}x`);
          if (how === 'no-query') url = url.split('?')[0] as string;
          if (how === 'oversized') body = JSON.stringify({ noise: noise.padEnd(5_000, 'x') });
          if (how === 'malformed') body = `not json ${noise}`;
          if (how === 'method') method = 'PUT';
          const before = sfnMock.commandCalls(SendTaskSuccessCommand).length;
          const { status, body: answered } = await call(request(url, method, body));
          const woke = sfnMock.commandCalls(SendTaskSuccessCommand).length - before;
          const expectedValid = ['none', 'old-key', 'replay'].includes(how);
          if (status === 202) {
            expect(expectedValid).toBe(true);
            validCalls++;
            expect(woke).toBe(nowParked > 0 ? 1 : 0);
            parksWoken += woke;
            expect(await store.parksOn(CALLBACK_SYSTEM, waitId)).toEqual([]);
          } else {
            expect(status).toBeGreaterThanOrEqual(400);
            expect(status).toBeLessThan(500);
            expect(typeof answered.error).toBe('string');
            expect(woke).toBe(0);
            // Refused, a parked wait stays parked: nothing lost.
            expect((await store.parksOn(CALLBACK_SYSTEM, waitId)).length).toBe(nowParked);
            if (how === 'replay') expect(answered.error).toBe('RateLimited');
            else expect(expectedValid).toBe(false);
          }
        },
      ),
      { numRuns: 1_000, seed: 42 },
    );
    expect(validCalls).toBeGreaterThan(100);
    expect(parksWoken).toBeGreaterThan(50);
  }, 60_000);
});
