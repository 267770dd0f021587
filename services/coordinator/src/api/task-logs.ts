import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Bus } from '@tributary/bus';
import { Code, type Problem, TributaryError } from '@tributary/core';
import { type Database, getAttemptState, getRunRow, getTaskAttemptNumbers } from '@tributary/db';
import type { StreamTaskLogsRequest, StreamTaskLogsResponseSchema } from '@tributary/proto';

/** What `StreamTaskLogs` reads: the attempts from Postgres, their lines from NATS. */
export interface TaskLogsDeps {
  db: Database;
  bus: Bus;
  /** How often a follow with nothing new checks whether its attempt ended. @default 1000 */
  idleCheckMs?: number;
}

type LogsResponse = MessageInitShape<typeof StreamTaskLogsResponseSchema>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// An attempt in these states may still log; any other state is final.
const LIVE_ATTEMPT_STATES = ['queued', 'running'];

/**
 * `StreamTaskLogs`: one response per stored batch of the attempt's lines. Any coordinator serves it, a
 * follower too: the attempts are read from Postgres and the lines from NATS, nothing from the leader.
 * @throws TributaryError `InvalidArgument` for a malformed run id, an empty task id, or an attempt the
 * task never had; `NotFound` for an unknown run or task; `FailedPrecondition` when the task has not
 * been dispatched yet (and the latest attempt is asked for).
 */
export async function* streamTaskLogs(
  deps: TaskLogsDeps,
  request: StreamTaskLogsRequest,
  signal: AbortSignal,
): AsyncGenerator<LogsResponse> {
  const attempt = await resolveAttempt(deps.db, request);
  const ref = { runId: request.runId, taskId: request.taskId, attempt };
  const batches = deps.bus.readTaskLogs(ref, {
    follow: request.follow,
    signal,
    ...(deps.idleCheckMs === undefined ? {} : { idleCheckMs: deps.idleCheckMs }),
    attemptEnded: () => attemptEnded(deps.db, ref),
  });
  for await (const batch of batches) {
    // The end marker travels alone when the last lines went out before it: nothing to show.
    if (batch.lines.length === 0 && batch.dropped === 0) continue;
    yield { attempt, lines: batch.lines, dropped: batch.dropped };
  }
}

/** The attempt a request names, checked against the run's records; 0 names the task's latest. */
async function resolveAttempt(db: Database, request: StreamTaskLogsRequest): Promise<number> {
  const { runId, taskId } = request;
  if (runId === '') throw invalid('run_id', 'is required');
  if (!UUID.test(runId)) throw invalid('run_id', `'${runId}' is not a run id (a UUID)`);
  if (taskId === '') throw invalid('task_id', 'is required');
  if (!(await getRunRow(db, runId))) throw new TributaryError(Code.NotFound, `run ${runId} not found`);
  const numbers = await getTaskAttemptNumbers(db, runId, taskId);
  if (numbers === null) {
    throw new TributaryError(Code.NotFound, `task '${taskId}' not found in run ${runId}`);
  }
  if (request.attempt === 0) {
    const latest = numbers.at(-1);
    if (latest === undefined) {
      throw new TributaryError(
        Code.FailedPrecondition,
        `task '${taskId}' of run ${runId} has not been dispatched yet: it has no attempt to show`,
      );
    }
    return latest;
  }
  if (!numbers.includes(request.attempt)) {
    const had = numbers.length === 0 ? 'none yet' : numbers.join(', ');
    throw invalid(
      'attempt',
      `task '${taskId}' of run ${runId} has no attempt ${request.attempt} (it has ${had})`,
    );
  }
  return request.attempt;
}

async function attemptEnded(
  db: Database,
  ref: { runId: string; taskId: string; attempt: number },
): Promise<boolean> {
  const state = await getAttemptState(db, ref);
  // A row that vanished cannot log any more either.
  return state === null || !LIVE_ATTEMPT_STATES.includes(state);
}

function invalid(field: string, message: string): TributaryError {
  const problem: Problem = { field, message };
  return new TributaryError(Code.InvalidArgument, `${field} ${message}`, { problems: [problem] });
}
