/** What an event-mode poll adds to the state the engine decided: its callback URL, and where it parks. */
import {
  DEFAULT_PARK_BACKSTOP_SECONDS,
  keysLeft,
  type PollObservation,
  parkingFor,
  parkKeys,
  type WaitState,
} from '../../waiters';
import type { ParsedPollerConfig } from '../poller-config';
import type { SecretSource } from '../secrets';
import { parseSigningKeys, signCallbackUrl } from './callback-url';
import type { WakeUpDependencies } from './park';

/** What a poller needs to mint callback URLs (lambdas/wake-up/callback-url.ts). */
export interface CallbackSigning {
  /** The callback function's URL. */
  baseUrl: string;
  keys: SecretSource;
}

/**
 * The wait's callback URL, minted once (at the first poll that can read the keys) and valid until the
 * deadline. A key secret that cannot be read now is tried again at the next poll; one that is not usable
 * is logged, and the wait goes on without a URL.
 */
export async function withCallbackUrl(
  state: WaitState,
  callbacks: CallbackSigning | undefined,
  log: (line: Record<string, unknown>) => void,
  name: string,
): Promise<void> {
  state.callbackUrl ??= null;
  if (callbacks === undefined || state.callbackUrl !== null || state.waitId === undefined) return;
  const secret = await callbacks.keys.read();
  if (typeof secret !== 'string') {
    log({
      waiter: name,
      event: 'callbackKeysUnread',
      error: 'kind' in secret ? secret.errorName : 'error' in secret ? secret.error.name : 'unknown',
    });
    return;
  }
  const keys = parseSigningKeys(secret);
  if ('invalid' in keys) {
    log({ waiter: name, event: 'callbackKeysInvalid', reason: keys.invalid });
    return;
  }
  const expires = Math.floor(Date.parse(state.deadline) / 1000);
  state.callbackUrl = signCallbackUrl(callbacks.baseUrl, state.waitId, expires, keys);
}

/**
 * Event mode: a poll that decided `retry` parks instead of waiting (waiters/wake-up.ts says when), and the
 * records of the park before that this one does not renew are deleted. A failed delete only leaves records
 * that the waker and the sweeper find stale (their token's task is gone) and drop, and TTL removes.
 */
export async function withParking(
  result: WaitState,
  observation: PollObservation,
  parsed: ParsedPollerConfig,
  wakeUps: WakeUpDependencies | undefined,
  log: (line: Record<string, unknown>) => void,
  nowMs: number,
): Promise<WaitState> {
  const { parkSeconds: _previousPark, parkedOn: previous, ...next } = result;
  const { config, system } = parsed;
  let parked: WaitState = next;
  if (wakeUps !== undefined && observation.kind === 'described') {
    const parking = parkingFor(next, nowMs, config.parkBackstopSeconds ?? DEFAULT_PARK_BACKSTOP_SECONDS);
    if (parking !== undefined) parked = { ...next, ...parking };
  }
  if (previous !== undefined && wakeUps !== undefined && next.waitId !== undefined) {
    const id = system.model.id;
    const callback = typeof next.callbackUrl === 'string';
    const left = keysLeft(
      parkKeys(id, next.waitId, previous, callback),
      parked.parkedOn === undefined ? [] : parkKeys(id, next.waitId, parked.parkedOn, callback),
    );
    try {
      if (left.length > 0) await wakeUps.store.delete(left);
    } catch (error) {
      log({
        waiter: config.name,
        event: 'parkCleanupFailed',
        error: (error as Error).name,
        records: left.length,
      });
    }
  }
  return parked;
}
