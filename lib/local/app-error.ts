/**
 * A user's app, or the state machine chosen in it, cannot be run here as asked: no such machine, a Task
 * nothing local can answer, an input that cannot be built. Raised before anything runs; `stepwait local`
 * reports it as bad options (exit code 2), like any other command line it cannot run.
 */
export class LocalAppError extends Error {
  override readonly name = 'LocalAppError';
}
