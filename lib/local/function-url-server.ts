import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { closeServer, listenOnLoopback, loopbackOrigin, readBody } from './loopback-server';

/**
 * A Lambda function URL on 127.0.0.1: each HTTP request becomes the function's event in payload format 2.0
 * (Lambda Developer Guide, "Lambda function URLs", request and response payloads) and the handler's result
 * the response, so the shipped handler runs as behind its URL. Bodies over 6 MB are refused, as Lambda's
 * invocation payload limit does.
 */
const MAX_BODY_BYTES = 6 * 1024 * 1024;

export class LocalFunctionUrl {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(
    handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>,
  ): Promise<LocalFunctionUrl> {
    const server = createServer((request, response) => {
      serve(handler, request, response).catch(() => {
        response.writeHead(502, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ Message: 'Internal Server Error' }));
      });
    });
    await listenOnLoopback(server);
    return new LocalFunctionUrl(server, `${loopbackOrigin(server, 'the local function URL')}/`);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }
}

async function serve(
  handler: (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>,
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
  const url = new URL(request.url ?? '/', 'http://localhost');
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    queryStringParameters: url.search === '' ? undefined : Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(',') : String(value),
      ]),
    ),
    requestContext: {
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
      },
      timeEpoch: Date.now(),
    },
    ...(body.length === 0 ? {} : { body: body.toString('utf8'), isBase64Encoded: false }),
  } as unknown as LambdaFunctionURLEvent;
  const result = await handler(event);
  if (typeof result === 'string') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(result);
    return;
  }
  response.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
  response.end(result.body ?? '');
}
