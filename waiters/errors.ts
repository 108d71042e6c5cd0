/**
 * The waiter document is wrong (botocore: `WaiterConfigError`). The message names the waiter, the acceptor
 * index and the field, so a bad custom model is fixed without reading our source.
 */
export class WaiterConfigError extends Error {
  override readonly name = 'WaiterConfigError';

  constructor(
    message: string,
    /** Where in the document, e.g. `waiters.JobComplete.acceptors[2].state`. */
    readonly field: string,
  ) {
    super(`${field}: ${message}`);
  }
}
