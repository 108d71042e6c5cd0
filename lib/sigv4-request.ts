import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Requests signed with Signature Version 4 ("Create a signed AWS API request"), as a function URL with
 * AuthType AWS_IAM requires of its callers (service `lambda`): the registry API's client, and locally a job
 * calling its wait's callback URL.
 */
export function sigV4Signer(
  credentials: ConstructorParameters<typeof SignatureV4>[0]['credentials'],
  region: string,
  service = 'lambda',
): SignatureV4 {
  return new SignatureV4({ credentials, region, service, sha256: Hash.bind(null, 'sha256') });
}

/**
 * The headers to send with a request to `url`, signed. Host is signed but left out: fetch sets it from the
 * URL itself (it is not its caller's to set), the same value.
 */
export async function signedHeaders(
  signer: SignatureV4,
  request: { url: URL; method: string; body?: string; headers?: Readonly<Record<string, string>> },
): Promise<Record<string, string>> {
  const { url, method, body } = request;
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, ...request.headers },
    ...(body === undefined ? {} : { body }),
  });
  const { host: _host, ...headers } = signed.headers;
  return headers;
}
