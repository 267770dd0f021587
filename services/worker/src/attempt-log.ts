import type { AttemptRef, Bus, TaskLogWriter } from '@tributary/bus';
import type { Logger } from '@tributary/core';

/**
 * Longest wait for an attempt's last log lines to be stored before its result is reported anyway: a
 * slow or broken log stream must never hold up results.
 */
export const LOG_END_TIMEOUT_MS = 3_000;

/**
 * The writer shipping one attempt's log lines. A failure to ship is logged once per attempt (a broken
 * stream would otherwise log for every batch) and never fails the task.
 */
export function openAttemptLog(
  bus: Bus,
  ref: AttemptRef,
  logger: Logger,
  traceparent: string | undefined,
): TaskLogWriter {
  let reported = false;
  return bus.openTaskLog(ref, {
    ...(traceparent === undefined ? {} : { traceparent }),
    onError(error) {
      if (reported) return;
      reported = true;
      logger.warn('cannot ship task log lines; the task goes on', { ...ref, error });
    },
  });
}
