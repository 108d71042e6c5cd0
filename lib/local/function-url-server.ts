import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { closeServer, listenOnLoopback, loopbackOrigin, readBody } from './loopback-server';
import { type LocalIdentity, verifySignature } from './sigv4-verifier';

/**
 * A Lambda function URL on 127.0.0.1: each HTTP request becomes the function's event in payload format 2.0
 * (Lambda Developer Guide, "Lambda function URLs", request and response payloads) and the handler's result
 * the response, so the shipped handler runs as behind its URL. Bodies over 6 MB are refused, as Lambda's
 * invocation payload limit does.
 */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

/**
 * AuthType AWS_IAM: every request must be signed (Signature Version 4, service `lambda`) by one of these
 * local access keys, or it is answered 403 `{"Message":"Forbidden"}` without running the function, as a
 * function URL answers; the event carries the signer's identity in `requestContext.authorizer.iam`.
 */
export interface LocalIamAuth {
  readonly region: string;
  readonly identities: readonly LocalIdentity[];
  /** @default Date.now */
  readonly now?: () => number;
}

type FunctionUrlHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

export class LocalFunctionUrl {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly inFlight: Set<Promise<void>>,
  ) {}

  static async start(
    handler: FunctionUrlHandler,
    options: { iam?: LocalIamAuth } = {},
  ): Promise<LocalFunctionUrl> {
    const inFlight = new Set<Promise<void>>();
    const server = createServer((request, response) => {
      const served = serve(handler, options.iam, request, response).catch(() => {
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ Message: 'Internal Server Error' }));
      });
      inFlight.add(served);
      void served.finally(() => inFlight.delete(served));
    });
    await listenOnLoopback(server);
    return new LocalFunctionUrl(server, `${loopbackOrigin(server, 'the local function URL')}/`, inFlight);
  }

  /** Closes the URL, then waits for the invocations under way: they may still be writing somewhere. */
  async stop(): Promise<void> {
    await closeServer(this.server);
    await Promise.all(this.inFlight);
  }
}

async function serve(
  handler: FunctionUrlHandler,
  iam: LocalIamAuth | undefined,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === undefined) {
    response.writeHead(413, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        Message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
      }),
    );
    return;
  }
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(',') : String(value),
    ]),
  );
  let identity: LocalIdentity | undefined;
  if (iam !== undefined) {
    const verdict = await verifySignature(
      { method: request.method ?? 'GET', url: request.url ?? '/', headers, body },
      iam.identities,
      { region: iam.region, service: 'lambda' },
      (iam.now ?? Date.now)(),
    );
    if ('refused' in verdict) {
      response.writeHead(403, {
        'content-type': 'application/json',
        'x-stepwait-local-refusal': verdict.refused,
      });
      response.end(JSON.stringify({ Message: 'Forbidden' }));
      return;
    }
    identity = verdict.identity;
  }
  const event = functionUrlEvent({
    method: request.method ?? 'GET',
    url: request.url ?? '/',
    headers,
    body,
    ...(identity === undefined ? {} : { identity }),
  });
  const result = await handler(event);
  if (typeof result === 'string') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(result);
    return;
  }
  response.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
  response.end(result.body ?? '');
}

/**
 * The event a function URL hands its function (payload format 2.0) for a request; with AuthType AWS_IAM, the
 * principal whose signature it checked is in `requestContext.authorizer.iam`.
 */
export function functionUrlEvent(request: {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: Readonly<Record<string, string>>;
  body: Uint8Array;
  identity?: LocalIdentity;
}): LambdaFunctionURLEvent {
  const url = new URL(request.url, 'http://localhost');
  const { identity } = request;
  const authorizer =
    identity === undefined
      ? undefined
      : {
          iam: {
            accessKey: identity.accessKeyId,
            accountId: identity.accountId,
            callerId: identity.userId,
            cognitoIdentity: null,
            principalOrgId: null,
            userArn: identity.userArn,
            userId: identity.userId,
          },
        };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    queryStringParameters: url.search === '' ? undefined : Object.fromEntries(url.searchParams),
    headers: request.headers,
    requestContext: {
      ...(authorizer === undefined ? {} : { authorizer }),
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
      },
      timeEpoch: Date.now(),
    },
    ...(request.body.length === 0
      ? {}
      : { body: Buffer.from(request.body).toString('utf8'), isBase64Encoded: false }),
  } as unknown as LambdaFunctionURLEvent;
}
