// Every server and process a test file starts is registered here until it is disposed, so that
// `afterAll(stopAll)` can stop whatever a test left running, even after a failed assertion.

interface Entry {
  readonly name: string;
  readonly dispose: () => Promise<void>;
}

const entries = new Map<object, Entry>();
const onStopAll: Array<() => void> = [];

/** Registers `owner` for {@link stopAll}; `dispose` stops it and removes its temp files. */
export function track(owner: object, name: string, dispose: () => Promise<void>): void {
  entries.set(owner, { name, dispose });
}

/** `owner` was disposed by its test: nothing left for {@link stopAll}. */
export function untrack(owner: object): void {
  entries.delete(owner);
}

/** Runs `hook` at the end of every {@link stopAll}, e.g. to forget exited processes. */
export function afterStopAll(hook: () => void): void {
  onStopAll.push(hook);
}

/**
 * Stops every server and process started in this test file that is still running, newest first (clients
 * before the servers they use), and removes their temp dirs. Call it in `afterAll`.
 * @returns the names of what it had to stop, so a strict test can assert that nothing was left over.
 * @throws AggregateError when some could not be stopped (all are attempted).
 */
export async function stopAll(): Promise<string[]> {
  const leftovers = [...entries.entries()].reverse();
  const errors: unknown[] = [];
  for (const [owner, entry] of leftovers) {
    try {
      await entry.dispose();
    } catch (error) {
      errors.push(error);
    }
    entries.delete(owner);
  }
  for (const hook of onStopAll) hook();
  if (errors.length > 0) throw new AggregateError(errors, `stopAll: ${errors.length} could not be stopped`);
  return leftovers.map(([, entry]) => entry.name);
}
