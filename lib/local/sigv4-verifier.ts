import { createHash, timingSafeEqual } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Checks an AWS Signature Version 4 signature the way a Lambda function URL with AuthType AWS_IAM does before
 * its function runs ("Signing AWS API requests", "Create a signed AWS API request"): the request is signed
 * again with the secret key of the access key it names, over the headers it says it signed, and must come
 * out the same. Local access keys stand for simulated IAM principals, each with the identity Lambda would put
 * in the event (`requestContext.authorizer.iam`).
 */
export interface LocalIdentity {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `AIDA...` for a user; `AROA...:<session>` for a role session, as Lambda reports it. */
  readonly userId: string;
  readonly userArn: string;
  readonly accountId: string;
}

export interface SignedRequest {
  readonly method: string;
  /** As the client sent it, path and query (`/waits?limit=5`). */
  readonly url: string;
  /** Lower-case names, as node:http gives them. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export type SignatureVerdict = { identity: LocalIdentity } | { refused: string };

/**
 * "A signed request is valid for up to five minutes after the time stamp in the request" (AWS SigV4
 * documentation); AWS refuses one from further in the future too.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The identity whose key signed `request` for `service` in `region`, or why it is refused. */
export async function verifySignature(
  request: SignedRequest,
  identities: readonly LocalIdentity[],
  scope: { region: string; service: string },
  nowMs: number,
): Promise<SignatureVerdict> {
  const match = AUTHORIZATION.exec(request.headers.authorization ?? '');
  if (match === null) return { refused: 'no AWS4-HMAC-SHA256 Authorization header' };
  const [, accessKeyId, shortDate, region, service, signedHeaders, signature] = match as unknown as string[];
  const identity = identities.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (identity === undefined) return { refused: `unknown access key ${accessKeyId}` };
  if (region !== scope.region || service !== scope.service) {
    return { refused: `signed for ${service} in ${region}, not ${scope.service} in ${scope.region}` };
  }
  const amzDate = request.headers['x-amz-date'] ?? '';
  const date = AMZ_DATE.exec(amzDate);
  if (date === null || !amzDate.startsWith(shortDate as string)) {
    return { refused: 'no X-Amz-Date of the credential scope’s day' };
  }
  const [, year, month, day, hour, minute, second] = date.map(Number) as number[];
  const signedAt = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second);
  if (Math.abs(nowMs - signedAt) > MAX_CLOCK_SKEW_MS) return { refused: 'signature expired' };
  const names = (signedHeaders as string).split(';');
  if (!names.includes('host')) return { refused: 'the Host header is not signed' };
  // The signer takes a payload hash header at its word; AWS hashes the body it received (a body changed in
  // transit under an old hash is refused: XAmzContentSHA256Mismatch).
  const claimedHash = request.headers['x-amz-content-sha256'];
  if (claimedHash !== undefined && claimedHash !== createHash('sha256').update(request.body).digest('hex')) {
    return { refused: 'the x-amz-content-sha256 header does not match the body' };
  }
  const url = new URL(request.url, `http://${request.headers.host ?? 'localhost'}`);
  const signer = new SignatureV4({
    credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    region: scope.region,
    service: scope.service,
    sha256: Hash.bind(null, 'sha256'),
    // Add no payload-hash header of its own: only the headers the client signed are signed again.
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : [seen, value].flat();
  }
  const resigned = await signer.sign(
    {
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: Object.fromEntries(names.map((name) => [name, request.headers[name] ?? ''])),
      body: request.body,
    },
    // Exactly the headers the client signed, whichever they are (user-agent too, which the signer skips alone).
    { signingDate: new Date(signedAt), signableHeaders: new Set(names) },
  );
  const authorization = String(resigned.headers.authorization);
  if (!authorization.includes(`SignedHeaders=${signedHeaders},`)) {
    return { refused: `the signed headers (${signedHeaders}) are not what the request carries` };
  }
  const expected = /Signature=([0-9a-f]{64})$/.exec(authorization)?.[1] ?? '';
  const same =
    expected.length === (signature as string).length &&
    timingSafeEqual(Buffer.from(expected), Buffer.from(signature as string));
  return same ? { identity } : { refused: 'the signature does not match the request' };
}
