import type { Fetch } from '../../lambdas/http-json';

/**
 * A fetch that sends every call to a local emulator instead of the URL's host: the deployed base URL
 * (https://dqops.example.com/api/...) keeps its path and query, and reaches 127.0.0.1 over http. Local runs
 * give it to a system's I/O, so nothing leaves this machine and the code under test is the deployed code.
 */
export function loopbackFetch(origin: string, fetchFn: Fetch = globalThis.fetch): Fetch {
  const target = new URL(origin);
  if (target.hostname !== '127.0.0.1') throw new RangeError(`a loopback origin (127.0.0.1), got ${origin}`);
  return (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input.toString() : input.url);
    return fetchFn(`${target.origin}${url.pathname}${url.search}`, init);
  };
}
