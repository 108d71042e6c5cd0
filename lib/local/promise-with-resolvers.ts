/**
 * aws-local-stepfunctions 3.x calls Promise.withResolvers (Node 22+). This machine runs Node 20, so the
 * local runtime installs the standard behaviour (ES2024) before running anything.
 */
const promiseConstructor = Promise as unknown as { withResolvers?: () => unknown };
if (typeof promiseConstructor.withResolvers !== 'function') {
  promiseConstructor.withResolvers = <T>() => {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

export {};
