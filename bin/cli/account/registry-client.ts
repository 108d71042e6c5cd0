import type { SignatureV4 } from '@smithy/signature-v4';
import { signedHeaders, sigV4Signer } from '../../../lib/sigv4-request';
import { CliError } from './errors';

/**
 * Calls the registry API (lambdas/registry/api.ts) at its function URL, signed with Signature Version 4 for
 * the `lambda` service as AuthType AWS_IAM requires ("Invoking Lambda function URLs"): with the operator's
 * own credentials, so the API knows who calls. Used by the CLI and the jobs page.
 */
export interface RegistryCall {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** `/waits`, `/waits/<id>/cancel`, ... */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface RegistryAnswer {
  readonly status: number;
  /** The API's JSON answer (`{ error, message }` on a refusal; function URLs answer `{ Message }`). */
  readonly body: unknown;
}

/** A registry call that has not answered by then is given up (the API itself times out at 30 s). */
export const REGISTRY_CALL_TIMEOUT_MS = 35_000;

export class RegistryClient {
  private readonly signer: SignatureV4;

  constructor(
    private readonly baseUrl: string,
    credentials: ConstructorParameters<typeof SignatureV4>[0]['credentials'],
    /** The registry's region (its function URL's), which requests are signed for. */
    readonly region: string,
  ) {
    this.signer = sigV4Signer(credentials, region);
  }

  async call(call: RegistryCall): Promise<RegistryAnswer> {
    const url = new URL(call.path, this.baseUrl);
    for (const [name, value] of Object.entries(call.query ?? {})) url.searchParams.set(name, value);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers = await signedHeaders(this.signer, {
      url,
      method: call.method,
      ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
    });
    let response: Response;
    try {
      response = await fetch(url, {
        method: call.method,
        headers,
        signal: AbortSignal.timeout(REGISTRY_CALL_TIMEOUT_MS),
        ...(body === undefined ? {} : { body }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(
        'RegistryUnreachable',
        `registry: no answer from ${url.origin} (${cause?.code ?? cause?.message ?? (error as Error).name})`,
        1,
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error: 'NotJson', message: text.slice(0, 200) };
    }
    return { status: response.status, body: parsed ?? {} };
  }
}
