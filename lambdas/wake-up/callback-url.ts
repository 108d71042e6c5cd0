import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Callback URLs (Tethys' `update-job-status/<id>`): a URL an outside system or the job itself calls to wake
 * a wait, signed so that nobody can make one up. `<base>/wake/<waitId>?expires=<epoch s>&keyId=<id>&
 * signature=<HMAC-SHA256 of "<waitId>.<expires>.<keyId>", base64url>`. The keys live in one Secrets Manager
 * secret, `{ "current": "<keyId>", "<keyId>": "<key>", ... }`: URLs are signed with the current key and any
 * key in the secret verifies, so a key rotates by adding a new one and making it current, and the old one is
 * removed once its URLs have expired. A call only wakes the wait (its stage then polls): it never sets an
 * outcome, so a leaked URL can at most cause a few extra, rate-limited polls.
 */
export const CALLBACK_PATH_PREFIX = '/wake/';

/** The environment WakeUps sets: the callback function's URL (on the poller) and the signing-key secret. */
export const CALLBACK_URL_ENV = 'STEPWAIT_CALLBACK_URL';
export const CALLBACK_SECRET_ENV = 'STEPWAIT_CALLBACK_SECRET';

/** A wait id as the poller mints them (a UUID), or any id of letters, digits and hyphens up to 64. */
const WAIT_ID_PATTERN = /^[A-Za-z0-9-]{1,64}$/;
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** A key must carry at least 128 bits (16 bytes) of secret. */
const MIN_KEY_LENGTH = 16;

export interface SigningKeys {
  current: string;
  keys: Record<string, string>;
}

/** The keys in the secret's JSON, or why they are not usable. */
export function parseSigningKeys(secret: string): SigningKeys | { invalid: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    return { invalid: 'the signing-key secret is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { invalid: 'the signing-key secret is not a JSON object' };
  }
  const { current, ...rest } = parsed as Record<string, unknown>;
  const keys: Record<string, string> = {};
  for (const [keyId, key] of Object.entries(rest)) {
    if (KEY_ID_PATTERN.test(keyId) && typeof key === 'string' && key.length >= MIN_KEY_LENGTH)
      keys[keyId] = key;
  }
  if (typeof current !== 'string' || keys[current] === undefined) {
    return {
      invalid: `the signing-key secret's "current" must name one of its keys (of ${MIN_KEY_LENGTH} characters or more)`,
    };
  }
  return { current, keys };
}

const signatureOf = (key: string, waitId: string, expires: number, keyId: string): string =>
  createHmac('sha256', key).update(`${waitId}.${expires}.${keyId}`).digest('base64url');

/** The callback URL of a wait, valid until `expires` (epoch seconds), signed with the current key. */
export function signCallbackUrl(baseUrl: string, waitId: string, expires: number, keys: SigningKeys): string {
  const key = keys.keys[keys.current] as string;
  const query = new URLSearchParams({
    expires: String(expires),
    keyId: keys.current,
    signature: signatureOf(key, waitId, expires, keys.current),
  });
  return `${baseUrl.replace(/\/+$/, '')}${CALLBACK_PATH_PREFIX}${encodeURIComponent(waitId)}?${query}`;
}

/** Why a call is refused: its HTTP status and a name for the reason. */
export interface CallbackRefusal {
  status: 400 | 403 | 404 | 405 | 410 | 413 | 429 | 503;
  error: string;
  message: string;
}

/** What a callback request carries, as a function URL passes it. */
export interface CallbackRequest {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
}

const refuse = (status: CallbackRefusal['status'], error: string, message: string): CallbackRefusal => ({
  status,
  error,
  message,
});

/** The wait a call may wake, or why it may not. Checks the signature before the expiry, in constant time. */
export function verifyCallback(
  request: CallbackRequest,
  keys: SigningKeys,
  nowMs: number,
): { waitId: string } | CallbackRefusal {
  if (request.method !== 'POST' && request.method !== 'GET') {
    return refuse(405, 'MethodNotAllowed', `expected GET or POST, got ${request.method}`);
  }
  if (!request.path.startsWith(CALLBACK_PATH_PREFIX)) {
    return refuse(404, 'UnknownPath', `expected ${CALLBACK_PATH_PREFIX}<waitId>`);
  }
  const waitId = request.path.slice(CALLBACK_PATH_PREFIX.length);
  if (!WAIT_ID_PATTERN.test(waitId))
    return refuse(404, 'UnknownPath', `expected ${CALLBACK_PATH_PREFIX}<waitId>`);
  const { expires, keyId, signature } = request.query;
  if (
    expires === undefined ||
    !/^\d{1,12}$/.test(expires) ||
    keyId === undefined ||
    signature === undefined
  ) {
    return refuse(
      400,
      'MalformedUrl',
      'expected the query parameters expires (epoch seconds), keyId and signature',
    );
  }
  const key = KEY_ID_PATTERN.test(keyId) ? keys.keys[keyId] : undefined;
  if (key === undefined)
    return refuse(403, 'UnknownKeyId', 'the URL was signed with a key that is not (or no longer) valid');
  const expected = Buffer.from(signatureOf(key, waitId, Number(expires), keyId));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse(403, 'BadSignature', 'the signature does not match the URL');
  }
  if (Number(expires) * 1000 <= nowMs) return refuse(410, 'Expired', 'the URL has expired');
  return { waitId };
}
