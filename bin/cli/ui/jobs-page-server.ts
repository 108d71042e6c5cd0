import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RegistryClient } from '../account/registry-client';
import { JOBS_PAGE_CSS, JOBS_PAGE_HTML, JOBS_PAGE_SCRIPT } from './jobs-page-assets';

/**
 * `stepwait ui`: the jobs page on 127.0.0.1, for the operator alone. The page calls `/api/...`, which this
 * server signs with the operator's own credentials and passes to the registry API (no public page, no new
 * login). Nothing else may drive it:
 * - it listens on 127.0.0.1 only, and answers only requests whose Host is that address (or localhost) and
 *   port, so a web page cannot reach it by a DNS name rebound to 127.0.0.1;
 * - `/api/` needs the per-run token printed at start (the page reads it from the URL's fragment, which is
 *   never sent), in a custom header, which another origin could send only after a CORS preflight this server
 *   never grants; an Origin header, when sent, must be this server's own;
 * - the page loads no inline script (Content-Security-Policy), and writes registry values as text.
 */
export interface JobsPageOptions {
  readonly registry: RegistryClient;
  /** List every owner's waits (an admin's view, with owners). */
  readonly all: boolean;
  /** How often the page refreshes its statuses (Tethys' Jobs Table: 5 s). */
  readonly refreshSeconds: number;
  /**
   * The region whose CloudWatch console the detail view links each AWS Batch job's log stream to (the
   * registry's); none: log streams are shown as text (a local deployment's jobs have no CloudWatch logs).
   */
  readonly consoleRegion?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 32 random bytes, hex */
  readonly token?: string;
}

export interface JobsPage {
  /** The page's address with its token, to open in a browser. */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  stop(): Promise<void>;
}

/** The API routes the page may call: the registry API's own (lambdas/registry/api-requests.ts). */
const API_ROUTE = /^\/waits(\/[0-9a-f-]{36}(\/(cancel|resubmit))?)?$/;
const MAX_BODY_BYTES = 65_536;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export async function startJobsPage(options: JobsPageOptions): Promise<JobsPage> {
  const token = options.token ?? randomBytes(32).toString('hex');
  let origin = '';
  const server: Server = createServer((request, response) => {
    serve(request, response, options, token, origin).catch((error: unknown) => {
      answer(response, 502, { error: 'RegistryUnreachable', message: (error as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

const sameToken = (given: string | undefined, token: string) =>
  given !== undefined &&
  Buffer.byteLength(given) === Buffer.byteLength(token) &&
  timingSafeEqual(Buffer.from(given), Buffer.from(token));

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  options: JobsPageOptions,
  token: string,
  origin: string,
): Promise<void> {
  const port = new URL(origin).port;
  const host = request.headers.host ?? '';
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    answer(response, 421, { error: 'WrongHost', message: `this server answers for 127.0.0.1:${port} only` });
    return;
  }
  const url = new URL(request.url ?? '/', origin);
  const api = url.pathname.startsWith('/api/');
  if (request.method === 'GET' && !api) {
    const asset = {
      '/': ['text/html; charset=utf-8', JOBS_PAGE_HTML],
      '/app.js': ['text/javascript; charset=utf-8', JOBS_PAGE_SCRIPT],
      '/app.css': ['text/css; charset=utf-8', JOBS_PAGE_CSS],
    }[url.pathname];
    if (asset === undefined) {
      answer(response, 404, { error: 'NotFound', message: url.pathname });
      return;
    }
    response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': asset[0] as string });
    response.end(asset[1]);
    return;
  }
  const given = request.headers['x-stepwait-token'];
  if (!sameToken(typeof given === 'string' ? given : undefined, token)) {
    answer(response, 403, { error: 'NoToken', message: 'open the page at the address stepwait ui printed' });
    return;
  }
  if (!api) {
    answer(response, 404, { error: 'NotFound', message: `${request.method} ${url.pathname}` });
    return;
  }
  // The page's own origin, by either name the Host check allows.
  const origins = [origin, origin.replace('127.0.0.1', 'localhost')];
  if (request.headers.origin !== undefined && !origins.includes(request.headers.origin)) {
    answer(response, 403, {
      error: 'ForeignOrigin',
      message: `requests from ${request.headers.origin} are refused`,
    });
    return;
  }
  const path = url.pathname.slice('/api'.length);
  if (path === '/config' && request.method === 'GET') {
    answer(response, 200, {
      refreshSeconds: options.refreshSeconds,
      all: options.all,
      ...(options.consoleRegion === undefined ? {} : { consoleRegion: options.consoleRegion }),
    });
    return;
  }
  const method = request.method as 'GET' | 'POST' | 'DELETE';
  if (!API_ROUTE.test(path) || !['GET', 'POST', 'DELETE'].includes(method)) {
    answer(response, 404, { error: 'NotFound', message: `${request.method} ${url.pathname}` });
    return;
  }
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      answer(response, 413, { error: 'TooLarge', message: `at most ${MAX_BODY_BYTES} bytes` });
      return;
    }
  }
  // The page sends no bodies: its actions are routes alone. A list takes the page's limit and cursor, and
  // every owner's waits only when this server was started with --all.
  const query: Record<string, string> = {};
  if (path === '/waits' && method === 'GET') {
    for (const name of ['limit', 'cursor', 'status']) {
      const value = url.searchParams.get(name);
      if (value !== null) query[name] = value;
    }
    if (options.all) query.all = 'true';
  }
  const result = await options.registry.call({ method, path, query });
  answer(response, result.status, result.body);
}
