import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Failure, type JsonObject, toFailure } from '@tributary/core';
import { SKIP_TASK_NAME } from '@tributary/sdk';
import { SENSOR_NOT_YET_EXIT_CODE, type ShellTaskModel } from '@tributary/spec';
import { type AttemptSecrets, NO_SECRETS } from './attempt-secrets.js';
import { InFlightAttempts, startAttempt } from './attempt-start.js';
import { createLineSplitter } from './line-splitter.js';
import type { LogSink } from './log-sink.js';
import { groupExists, killGroup, signalGroup } from './process-group.js';
import { readContextForTask } from './run-context.js';
import { buildShellEnv } from './shell-env.js';
import { parseShellOutput } from './shell-output.js';
import { type AttemptStopper, createAttemptStopper, stopResult } from './stopper.js';
import type { ExecuteOptions, ExecutionRequest, ExecutionResult, ExecutorOptions } from './types.js';

/** Runs shell tasks as `/bin/sh -c` in their own process group. */
export interface ShellExecutor {
  /** `secrets`: the task's, as environment variables of their names, masked in its logs. */
  execute(
    request: ExecutionRequest,
    task: ShellTaskModel,
    options?: ExecuteOptions,
    secrets?: AttemptSecrets,
  ): Promise<ExecutionResult>;
  /** Kills every task still running (SIGKILL to its group) and waits for them to end. */
  close(): Promise<void>;
}

type Ending =
  | { error: unknown }
  | { code: number | null; signal: NodeJS.Signals | null; lastStdout?: string };

export function createShellExecutor(options: Required<ExecutorOptions>): ShellExecutor {
  const running = new InFlightAttempts();
  return {
    async execute(request, task, executeOptions = {}, secrets = NO_SECRETS) {
      const { logs, finish, cancelledBeforeStart } = startAttempt(
        request.taskId,
        task.timeoutMs,
        options.logTailLines,
        executeOptions,
        secrets.masked,
      );
      if (cancelledBeforeStart !== undefined) return cancelledBeforeStart;
      const read = await readContextForTask(request.taskId, executeOptions.context);
      if ('error' in read) return finish({ outcome: 'failed', error: read.error });
      const { context } = read;
      const scratch = await mkdtemp(join(tmpdir(), 'tributary-attempt-'));
      const inputsFile = join(scratch, 'inputs.json');
      await writeFile(inputsFile, JSON.stringify(request.inputs));
      // A secret wins over an `env` entry of the same name: the name says where its value must come from.
      const env = { ...task.env, ...secrets.values };
      const attempt = startShell(
        request,
        task,
        env,
        logs,
        options,
        executeOptions.signal,
        context,
        inputsFile,
      );
      running.add(attempt.stopper, attempt.done);
      try {
        const ending = await attempt.done;
        const reason = attempt.stopper.reason;
        if (reason !== undefined) return finish(stopResult(reason, request.taskId, task.timeoutMs));
        return finish(toResult(ending, request.taskId, task));
      } finally {
        attempt.stopper.dispose();
        running.delete(attempt.stopper);
        await rm(scratch, { recursive: true, force: true });
      }
    },
    async close() {
      await running.killAll();
    },
  };
}

function startShell(
  request: ExecutionRequest,
  task: ShellTaskModel,
  taskEnv: Record<string, string>,
  logs: LogSink,
  options: Required<ExecutorOptions>,
  signal: AbortSignal | undefined,
  context: JsonObject,
  inputsFile: string,
): { stopper: AttemptStopper; done: Promise<Ending> } {
  // detached: the shell leads a new process group, so one kill(-pid) reaches every process it starts.
  const child = spawn('/bin/sh', ['-c', task.command], {
    cwd: request.bundleDir,
    env: buildShellEnv(options.baseEnv, request, taskEnv, context, inputsFile),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { pid } = child;
  const signalTask = (name: NodeJS.Signals): void => {
    if (pid !== undefined) signalGroup(pid, name);
  };
  const stopper = createAttemptStopper({
    signal,
    timeoutMs: task.timeoutMs,
    killGraceMs: options.killGraceMs,
    onStop: () => signalTask('SIGTERM'),
    onKill: () => signalTask('SIGKILL'),
  });
  stopper.startClock();
  return { stopper, done: waitForEnd(child, logs, options.killGraceMs) };
}

function waitForEnd(child: ChildProcess, logs: LogSink, killGraceMs: number): Promise<Ending> {
  const { pid } = child;
  let lastStdout: string | undefined;
  const stdout = createLineSplitter((line) => {
    if (line.trim() !== '') lastStdout = line;
    logs.push('stdout', line);
  });
  const stderr = createLineSplitter((line) => logs.push('stderr', line));
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => stdout.write(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => stderr.write(chunk));
  let leftoverTimer: NodeJS.Timeout | undefined;
  child.on('exit', () => {
    // The shell is gone, but what it started in the background may not be: an attempt must not leave
    // processes behind (they would hold the output pipes open, and outlive the attempt). TERM, then KILL.
    if (pid !== undefined && groupExists(pid)) {
      signalGroup(pid, 'SIGTERM');
      leftoverTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), killGraceMs);
    }
  });
  return new Promise<Ending>((resolve) => {
    child.on('error', (error) => resolve({ error }));
    // 'close' comes after 'exit' once every stdio pipe is closed, so all output has been read.
    child.on('close', (code, signal) => {
      clearTimeout(leftoverTimer);
      stdout.end();
      stderr.end();
      const ending: Ending = lastStdout === undefined ? { code, signal } : { code, signal, lastStdout };
      const done = () => resolve(ending);
      // Both paths resolve: a group we may not signal (EPERM, e.g. a setuid member) cannot hang the attempt.
      void (pid === undefined ? Promise.resolve() : killGroup(pid)).then(done, done);
    });
  });
}

function toResult(
  ending: Ending,
  taskId: string,
  task: ShellTaskModel,
): Omit<ExecutionResult, 'startedAt' | 'finishedAt' | 'logTail'> {
  if ('error' in ending) {
    const failure = toFailure(ending.error);
    return {
      outcome: 'failed',
      error: { ...failure, message: `task '${taskId}' could not start: ${failure.message}` },
    };
  }
  const { code } = ending;
  if (code === 0) return { outcome: 'succeeded', output: parseShellOutput(ending.lastStdout, task.branch) };
  // Checked before the skip code: a sensor that also chose 100 as its skip code could never wait.
  if (task.sensor !== null && code === SENSOR_NOT_YET_EXIT_CODE) return { outcome: 'rescheduled' };
  if (code === task.skipExitCode) return { outcome: 'skipped', error: skipFailure(code) };
  return { outcome: 'failed', error: exitFailure(code, ending.signal) };
}

function skipFailure(exitCode: number): Failure {
  return {
    type: SKIP_TASK_NAME,
    message: `command exited with the skip exit code ${exitCode}`,
    retryable: false,
    details: { exitCode },
  };
}

function exitFailure(exitCode: number | null, signal: NodeJS.Signals | null): Failure {
  return {
    type: 'ShellExitError',
    message: signal === null ? `command exited with code ${exitCode}` : `command killed by signal ${signal}`,
    retryable: true,
    details: { exitCode, signal },
  };
}
