import { readFile, stat } from 'node:fs/promises';
import type { Failure, JsonValue } from '@tributary/core';
import { SKIP_TASK_NAME } from '@tributary/sdk';
import { type ContainerTaskModel, SENSOR_NOT_YET_EXIT_CODE } from '@tributary/spec';
import type { AttemptEnding } from './log-sink.js';
import { parseShellOutput } from './shell-output.js';

/** Where the container sees its output folder; the file in it wins over the last stdout line. */
export const CONTAINER_OUTPUT_DIR = '/tributary/output';
/** The output file's name in {@link CONTAINER_OUTPUT_DIR}. */
export const CONTAINER_OUTPUT_FILE = 'output.json';
/** The largest output file read; a bigger output belongs in a volume or an object store. */
export const MAX_CONTAINER_OUTPUT_FILE_BYTES = 64 * 1024 * 1024;

/**
 * The result of a container that exited with `exitCode`, as for a shell task: 0 succeeded, the sensor's
 * "not yet" code rescheduled, the skip code skipped, anything else failed (retryable). A successful
 * container's output is the JSON in `outputFile` when it wrote one (invalid JSON fails the attempt,
 * not retryable), else its last non-empty stdout line if that is JSON (see `parseShellOutput`).
 */
export async function containerResult(
  taskId: string,
  task: ContainerTaskModel,
  exitCode: number,
  lastStdout: string | undefined,
  outputFile: string,
): Promise<AttemptEnding> {
  if (exitCode === 0) {
    const file = await readOutputFile(taskId, outputFile);
    if (file === undefined)
      return { outcome: 'succeeded', output: parseShellOutput(lastStdout, task.branch) };
    return 'error' in file
      ? { outcome: 'failed', error: file.error }
      : { outcome: 'succeeded', output: file.output };
  }
  // Checked before the skip code, as for shell tasks: a sensor must be able to say "not yet".
  if (task.sensor !== null && exitCode === SENSOR_NOT_YET_EXIT_CODE) return { outcome: 'rescheduled' };
  if (exitCode === task.skipExitCode) {
    const error: Failure = {
      type: SKIP_TASK_NAME,
      message: `container exited with the skip exit code ${exitCode}`,
      retryable: false,
      details: { exitCode },
    };
    return { outcome: 'skipped', error };
  }
  const error: Failure = {
    type: 'ContainerExitError',
    message: `container exited with code ${exitCode}`,
    retryable: true,
    details: { exitCode },
  };
  return { outcome: 'failed', error };
}

type OutputFile = { output: JsonValue } | { error: Failure };

/** The output file's JSON, a failure when it is not JSON or too big, or undefined when there is none. */
async function readOutputFile(taskId: string, path: string): Promise<OutputFile | undefined> {
  const size = await stat(path).then(
    (found) => (found.isFile() ? found.size : undefined),
    () => undefined,
  );
  if (size === undefined) return undefined;
  const fail = (problem: string): OutputFile => ({
    error: {
      type: 'OutputError',
      message: `task '${taskId}' wrote ${CONTAINER_OUTPUT_DIR}/${CONTAINER_OUTPUT_FILE}, but ${problem}`,
      // The same image writes the same file again.
      retryable: false,
    },
  });
  if (size > MAX_CONTAINER_OUTPUT_FILE_BYTES)
    return fail(`it holds ${size} bytes, more than ${MAX_CONTAINER_OUTPUT_FILE_BYTES}`);
  try {
    return { output: JSON.parse(await readFile(path, 'utf8')) as JsonValue };
  } catch (error) {
    return fail(`it is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
