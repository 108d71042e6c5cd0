import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import type { StatusCallResult } from '../waiters';
import type { RetryableFailure } from './job-system-io';

/**
 * A job system's credentials, read from AWS Secrets Manager and kept across warm invocations, so a poll
 * costs no GetSecretValue call. `refresh` reads again (after a 401: the secret may have been rotated).
 * The value is never logged; errors name the secret, never show it.
 */
export interface SecretSource {
  read(): Promise<string | RetryableFailure | StatusCallResult>;
  refresh(): Promise<string | RetryableFailure | StatusCallResult>;
}

type SdkError = Parameters<typeof isThrottlingError>[0];

/** Kept this long, then read again: a rotated secret takes effect within it (or at once, after a 401). */
export const SECRET_CACHE_MS = 15 * 60_000;

export function cachedSecret(
  client: SecretsManagerClient,
  secretArn: string,
  now: () => number = Date.now,
): SecretSource {
  let cached: { value: string; at: number } | undefined;
  const fetchValue = async (): Promise<string | RetryableFailure | StatusCallResult> => {
    try {
      const answer = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (typeof answer.SecretString !== 'string' || answer.SecretString === '') {
        return {
          error: {
            name: 'InvalidSecret',
            message: `secret ${secretArn} has no SecretString (a binary secret cannot hold an API credential here)`,
          },
        };
      }
      cached = { value: answer.SecretString, at: now() };
      return answer.SecretString;
    } catch (error) {
      const sdkError = (error instanceof Error ? error : new Error(String(error))) as SdkError;
      if (isThrottlingError(sdkError)) return { kind: 'throttled', errorName: sdkError.name };
      if (isTransientError(sdkError) || isServerError(sdkError))
        return { kind: 'transient', errorName: sdkError.name };
      return { error: { name: sdkError.name, message: `reading secret ${secretArn}: ${sdkError.message}` } };
    }
  };
  // Concurrent calls of one poll share one read.
  let pending: Promise<string | RetryableFailure | StatusCallResult> | undefined;
  const shared = () => {
    pending ??= fetchValue().finally(() => {
      pending = undefined;
    });
    return pending;
  };
  return {
    read: async () => (cached !== undefined && now() - cached.at < SECRET_CACHE_MS ? cached.value : shared()),
    refresh: shared,
  };
}

/**
 * One field of a secret: a JSON object's string field (`{"apiKey": "..."}`), or, for `allowPlain`, the
 * whole SecretString as it is (a plain API key).
 */
export function secretField(
  value: string,
  field: string,
  secretArn: string,
  allowPlain: boolean,
): string | StatusCallResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const found = (parsed as Record<string, unknown>)[field];
    if (typeof found === 'string' && found !== '') return found;
    return {
      error: {
        name: 'InvalidSecret',
        message: `secret ${secretArn} is JSON without a string field "${field}"`,
      },
    };
  }
  if (allowPlain && value.trim() !== '') return value.trim();
  return {
    error: {
      name: 'InvalidSecret',
      message: `secret ${secretArn} must be JSON with a string field "${field}"`,
    },
  };
}
