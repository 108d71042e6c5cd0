import fc from 'fast-check';
import { CALLBACK_MIN_INTERVAL_MS, createCallbackHandler } from '../../lambdas/callback';
import { type SigningKeys, signCallbackUrl } from '../../lambdas/wake-up/callback-url';
import { callbackParkRecord, ParkStore } from '../../lambdas/wake-up/park-store';
import { CALLBACK_SYSTEM } from '../../waiters';
import type { FaultRow } from './fault-scenarios';
import { LocalDynamoDb } from './local-dynamodb';
import { seededRandom } from './seeded-random';
import { LocalStepFunctionsEndpoint } from './step-functions-endpoint';
import { LocalTaskTokens } from './task-tokens';
import { VirtualClock } from './virtual-clock';
import { VirtualTimers } from './virtual-timers';

/**
 * The fault suite's callback row: random requests at the callback function (the shipped handler, its
 * records in dynalite, the tokens of real parked tasks answered on the loopback Step Functions endpoint).
 * Bad signatures, unknown and removed keys, expired URLs, other waits' URLs, missing query parameters,
 * oversized and malformed bodies, other methods and replays within 10 s must be refused with a 4xx and a
 * named reason and wake nothing; a valid call must wake the wait it names if it is parked, once, and
 * nothing else. A parked wait a refused call leaves must stay parked (nothing lost).
 */
const BASE = 'https://callbacks.example.com/';
const KEYS: SigningKeys = {
  current: 'k2',
  keys: { k1: 'k1-secret-0123456789abcdef', k2: 'k2-secret-fedcba9876543210' },
};
const WAITS = ['wait-0', 'wait-1', 'wait-2'];
const MUTATIONS = [
  'none',
  'replay',
  'bad-signature',
  'old-key',
  'removed-key',
  'expired',
  'other-wait',
  'no-query',
  'oversized',
  'malformed',
  'method',
] as const;
type Mutation = (typeof MUTATIONS)[number];
const VALID: readonly Mutation[] = ['none', 'old-key'];

export async function runCallbackFaults(requests: number, seed: number): Promise<FaultRow> {
  const started = Date.now();
  const clock = new VirtualClock();
  const tokens = new LocalTaskTokens(new VirtualTimers(clock));
  const dynamo = await LocalDynamoDb.start();
  const endpoint = await LocalStepFunctionsEndpoint.start({ tokens });
  const client = dynamo.client();
  const sfn = endpoint.client();
  const incorrect: { index: number; problem: string }[] = [];
  const stats = { requests: 0, valid: 0, woken: 0, refused: 0, rateLimited: 0 };
  try {
    const store = new ParkStore(client, 'callback-faults', () => clock.now());
    await dynamo.createTable(store.tableName, 'pk', 'sk');
    const secret = JSON.stringify({ current: KEYS.current, ...KEYS.keys });
    const handler = createCallbackHandler({
      store,
      sfn,
      keys: { read: async () => secret, refresh: async () => secret },
      now: () => clock.now(),
      log: () => {},
    });
    /** The open tasks of the waits parked now, by wait. */
    const parked = new Map<string, { token: string; ended: Promise<unknown> }>();
    const park = async (waitId: string) => {
      const task = tokens.mint(waitId, undefined);
      parked.set(waitId, task);
      await store.put([
        callbackParkRecord({
          waitId,
          stageIndex: 2,
          taskToken: task.token,
          parkedAt: clock.now(),
          expiresAt: Math.ceil(clock.now() / 1000) + 86_400,
        }),
      ]);
    };
    const random = seededRandom(seed);
    const cases = fc.sample(
      fc.tuple(
        fc.constantFrom(...WAITS),
        fc.constantFrom(...MUTATIONS),
        fc.string({ maxLength: 40 }),
        fc.boolean(),
      ),
      { numRuns: requests, seed },
    );
    for (const [index, [waitId, how, noise, parkFirst]] of cases.entries()) {
      if (how !== 'replay') clock.advanceSeconds(CALLBACK_MIN_INTERVAL_MS / 1000);
      if (parkFirst && !parked.has(waitId)) await park(waitId);
      const expires = Math.floor(clock.now() / 1000) + 600;
      let url = signCallbackUrl(BASE, waitId, expires, KEYS);
      if (how === 'bad-signature')
        url = url.replace(/signature=./, (m) => `signature=${m.endsWith('A') ? 'B' : 'A'}`);
      if (how === 'old-key') url = signCallbackUrl(BASE, waitId, expires, { current: 'k1', keys: KEYS.keys });
      if (how === 'removed-key')
        url = signCallbackUrl(BASE, waitId, expires, {
          current: 'k0',
          keys: { k0: 'k0-secret-0123456789ab' },
        });
      if (how === 'expired') url = signCallbackUrl(BASE, waitId, Math.floor(clock.now() / 1000) - 1, KEYS);
      if (how === 'other-wait') url = url.replace(`/wake/${waitId}`, `/wake/${waitId}x`);
      if (how === 'no-query') url = url.split('?')[0] as string;
      const body =
        how === 'oversized'
          ? JSON.stringify({ noise: noise.padEnd(5_000, 'x') })
          : how === 'malformed'
            ? `not json ${noise}`
            : undefined;
      const method = how === 'method' ? 'PUT' : random() < 0.5 ? 'GET' : 'POST';
      const parsed = new URL(url);
      const wasParked = parked.get(waitId);
      const answer = (await handler({
        rawPath: parsed.pathname,
        queryStringParameters: Object.fromEntries(parsed.searchParams),
        requestContext: { http: { method } },
        ...(body === undefined ? {} : { body, isBase64Encoded: false }),
      } as never)) as { statusCode: number; body: string };
      stats.requests++;
      const reply = JSON.parse(answer.body) as { error?: string; woke?: number };
      const wokeNow =
        wasParked !== undefined &&
        tokens.log.some((entry) => entry.token === wasParked.token && entry.ending !== undefined);
      const problem = (() => {
        if (answer.statusCode === 202) {
          if (!VALID.includes(how) && how !== 'replay') return `${how}: accepted`;
          if (wokeNow !== (wasParked !== undefined)) return `${how}: a parked wait was not woken`;
          return undefined;
        }
        if (answer.statusCode < 400 || answer.statusCode >= 500 || typeof reply.error !== 'string') {
          return `${how}: answered ${answer.statusCode} without a named 4xx reason`;
        }
        if (wokeNow) return `${how}: refused (${reply.error}) but woke the wait`;
        if (VALID.includes(how)) return `${how}: a valid call refused (${reply.error})`;
        if (how === 'replay' && reply.error !== 'RateLimited') return `replay: refused as ${reply.error}`;
        return undefined;
      })();
      if (problem !== undefined) incorrect.push({ index, problem });
      if (answer.statusCode === 202) {
        stats.valid++;
        if (wokeNow) {
          stats.woken++;
          parked.delete(waitId);
        }
      } else {
        stats.refused++;
        if (reply.error === 'RateLimited') stats.rateLimited++;
      }
    }
    // Nothing lost: every wait still parked has its record and an open task.
    let lost = 0;
    for (const [waitId, task] of parked) {
      const records = await store.parksOn(CALLBACK_SYSTEM, waitId);
      if (!records.some((record) => record.taskToken === task.token)) lost++;
    }
    return {
      scenario: 'callback-requests',
      fault: `callbacks: ${requests} random requests (bad, expired, rotated, oversized, replayed)`,
      waitsRun: requests,
      waitsCorrect: requests - incorrect.length,
      attemptsConsumedByFaults: null,
      attemptsMustBeZero: false,
      dataLost: lost,
      passed: incorrect.length === 0 && lost === 0,
      notes: `${stats.valid} accepted (${stats.woken} woke a parked wait, the rest found none parked), ${stats.refused} refused with a named 4xx (${stats.rateLimited} replays within 10 s rate-limited); no refused call woke anything, and every wait left parked kept its record`,
      stats,
      failures: incorrect.slice(0, 5).map(({ index, problem }) => `request ${index}: ${problem}`),
      incorrect,
      realSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    client.destroy();
    sfn.destroy();
    await endpoint.stop();
    await dynamo.stop();
  }
}
