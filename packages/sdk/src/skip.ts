/**
 * The mark a skip signal carries. `Symbol.for` gives the same symbol to every copy of this package in a
 * process and thread: a task module may load its own copy of the sdk, where `instanceof` would fail.
 */
const SKIP_MARK: unique symbol = Symbol.for('tributary.skip') as never;

/** The name of {@link SkipTask} errors, also the `type` of the recorded failure. */
export const SKIP_TASK_NAME = 'SkipTask';

/** The message of a {@link SkipTask} created without a reason. */
export const DEFAULT_SKIP_REASON = 'the task skipped itself';

/**
 * Thrown by task code to end the task `skipped`: not failed, and not retried. Its message (the
 * reason) is kept with the task so that it can be shown.
 *
 * ```ts
 * if (rows.length === 0) throw new SkipTask('no new rows today');
 * ```
 */
export class SkipTask extends Error {
  override readonly name = SKIP_TASK_NAME;
  readonly [SKIP_MARK] = true;

  constructor(reason: string = DEFAULT_SKIP_REASON) {
    super(reason);
  }
}

/**
 * Whether something thrown asks to skip the task: a {@link SkipTask} from any copy of this package
 * (it carries the `Symbol.for('tributary.skip')` mark), or any object named `SkipTask`, such as an
 * author's own error class or one from another realm. Test it where the error is thrown: a structured
 * clone (e.g. across a worker thread) drops both the mark and a custom name, so the executor turns a
 * skip into data inside the task's thread.
 */
export function isSkipSignal(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { [SKIP_MARK]?: unknown })[SKIP_MARK] === true) return true;
  return (error as { name?: unknown }).name === SKIP_TASK_NAME;
}
