import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { CALLBACK_SYSTEM } from '../waiters';
import { cachedSecret, type SecretSource } from './secrets';
import {
  CALLBACK_SECRET_ENV,
  type CallbackRefusal,
  parseSigningKeys,
  verifyCallback,
} from './wake-up/callback-url';
import { PARK_TABLE_ENV, ParkStore } from './wake-up/park-store';
import { wake } from './wake-up/task-tokens';

/**
 * The callback function (a Lambda function URL): a signed URL's call wakes the wait it names, if it is
 * parked; the stage then polls, so a call never sets the outcome. Refused, each with a named reason and
 * waking nothing: a method but GET or POST, another path, a malformed or unsigned URL, an unknown key id,
 * a bad signature, an expired URL, a body over 4 KB or not JSON, and a call within 10 s of the wait's last
 * (a leaked URL can cost a few extra polls, never a flood of them).
 */
export const MAX_CALLBACK_BODY_BYTES = 4_096;
export const CALLBACK_MIN_INTERVAL_MS = 10_000;

export interface CallbackDependencies {
  store: ParkStore;
  sfn: SFNClient;
  keys: SecretSource;
  now: () => number;
  log: (line: Record<string, unknown>) => void;
}

export type CallbackHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

const answer = (statusCode: number, body: object): LambdaFunctionURLResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

const refused = (refusal: CallbackRefusal) =>
  answer(refusal.status, { error: refusal.error, message: refusal.message });

/** A body is optional; when there is one, it is a JSON object of at most MAX_CALLBACK_BODY_BYTES. */
function bodyProblem(event: LambdaFunctionURLEvent): CallbackRefusal | undefined {
  if (event.body === undefined || event.body === '') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(text) > MAX_CALLBACK_BODY_BYTES) {
    return {
      status: 413,
      error: 'BodyTooLarge',
      message: `a body is at most ${MAX_CALLBACK_BODY_BYTES} bytes`,
    };
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return undefined;
  } catch {
    // falls through to the refusal
  }
  return { status: 400, error: 'MalformedBody', message: 'a body, when given, is a JSON object' };
}

/** The least time between two reads of the key secret forced by an unknown key id. */
export const KEY_REFRESH_INTERVAL_MS = 60_000;

export function createCallbackHandler(deps: CallbackDependencies): CallbackHandler {
  let lastRefreshAt = Number.NEGATIVE_INFINITY;
  return async (event) => {
    const method = event.requestContext?.http?.method ?? '';
    const path = event.rawPath ?? '';
    const problem = bodyProblem(event);
    if (problem !== undefined) return refused(problem);
    const secret = await deps.keys.read();
    if (typeof secret !== 'string') {
      return answer(503, {
        error: 'KeysUnavailable',
        message: 'the signing keys cannot be read now; call again',
      });
    }
    const keys = parseSigningKeys(secret);
    if ('invalid' in keys) {
      deps.log({ event: 'callbackKeysInvalid', reason: keys.invalid });
      return answer(503, { error: 'KeysUnavailable', message: 'the signing keys are not usable' });
    }
    const nowMs = deps.now();
    const request = { method, path, query: event.queryStringParameters ?? {} };
    let verdict = verifyCallback(request, keys, nowMs);
    // A key id this container has not seen may be a key added since its copy of the secret was read (a
    // rotation): read the secret again, at most once a minute, so random key ids cannot drive the reads.
    if (
      'status' in verdict &&
      verdict.error === 'UnknownKeyId' &&
      nowMs - lastRefreshAt >= KEY_REFRESH_INTERVAL_MS
    ) {
      lastRefreshAt = nowMs;
      const fresh = await deps.keys.refresh();
      const freshKeys = typeof fresh === 'string' ? parseSigningKeys(fresh) : undefined;
      if (freshKeys !== undefined && !('invalid' in freshKeys))
        verdict = verifyCallback(request, freshKeys, nowMs);
    }
    if ('status' in verdict) {
      deps.log({ event: 'callbackRefused', error: verdict.error, path: path.slice(0, 100) });
      return refused(verdict);
    }
    if (!(await deps.store.claimCallback(verdict.waitId, nowMs, CALLBACK_MIN_INTERVAL_MS))) {
      return refused({
        status: 429,
        error: 'RateLimited',
        message: `a wait is woken by callback at most once every ${CALLBACK_MIN_INTERVAL_MS / 1000} s`,
      });
    }
    let woke = 0;
    for (const parked of await deps.store.parksOn(CALLBACK_SYSTEM, verdict.waitId)) {
      if ((await wake(deps.sfn, parked.taskToken, { wokenBy: 'callback' })) === 'woken') woke++;
      await deps.store.deleteUsed(parked);
    }
    deps.log({ event: 'callback', waitId: verdict.waitId, woke });
    // 202: accepted; the wait polls next (or, if it was not parked, at its next poll anyway).
    return answer(202, { waitId: verdict.waitId, woke });
  };
}

let defaultHandler: CallbackHandler | undefined;

/** The deployed entry point, behind a function URL (WakeUps' `callbacks`). */
export const handler: CallbackHandler = (event) => {
  defaultHandler ??= createCallbackHandler({
    store: new ParkStore(new DynamoDBClient({ maxAttempts: 2 }), process.env[PARK_TABLE_ENV] as string),
    sfn: new SFNClient({ maxAttempts: 2 }),
    keys: cachedSecret(
      new SecretsManagerClient({ maxAttempts: 2 }),
      process.env[CALLBACK_SECRET_ENV] as string,
    ),
    now: Date.now,
    log: (line) => console.log(JSON.stringify(line)),
  });
  return defaultHandler(event);
};
