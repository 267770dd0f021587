import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerTaskModel } from '@tributary/spec';
import type Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import { type AttemptSecrets, NO_SECRETS } from './attempt-secrets.js';
import { InFlightAttempts, startAttempt } from './attempt-start.js';
import {
  type AttemptMounts,
  CONTAINER_INPUT_DIR,
  containerCreateOptions,
} from './container-create-options.js';
import { connectContainerEngine } from './container-engine.js';
import { ensureContainerImage } from './container-image.js';
import { CONTAINER_OUTPUT_DIR, CONTAINER_OUTPUT_FILE, containerResult } from './container-result.js';
import { type ContainerEnding, type ContainerRun, runContainer } from './container-run.js';
import { checkContainerVolumes } from './container-volumes.js';
import type { LogSink } from './log-sink.js';
import { readContextForTask } from './run-context.js';
import { buildShellEnv } from './shell-env.js';
import { createAttemptStopper, stopResult } from './stopper.js';
import type { ExecuteOptions, ExecutionRequest, ExecutionResult, ExecutorOptions } from './types.js';

/** Runs container tasks through the container engine's Docker-compatible API. */
export interface ContainerExecutor {
  /** `secrets`: the task's, as environment variables of their names, masked in its logs. */
  execute(
    request: ExecutionRequest,
    task: ContainerTaskModel,
    options?: ExecuteOptions,
    secrets?: AttemptSecrets,
  ): Promise<ExecutionResult>;
  /** Kills every container still running, and waits until each is removed. */
  close(): Promise<void>;
}

/**
 * The container executor. Each attempt: its volumes checked against `allowedVolumes` (a denied one
 * fails it before anything is created), its image made ready per `pull`, then one container, labelled
 * with run, task, attempt and worker, that sees the bundle read-only at `/bundle`, its inputs at
 * `/tributary/input/inputs.json` and an empty `/tributary/output`. Its environment is a shell task's
 * `TRIBUTARY_*` variables and `TRACEPARENT`, the task's `env` and secrets, nothing of the worker's.
 * A timeout or cancel sends SIGTERM, SIGKILL after `killGraceMs`; the container is removed in every case.
 */
export function createContainerExecutor(options: Required<ExecutorOptions>): ContainerExecutor {
  const running = new InFlightAttempts();
  let engine: Docker | undefined;
  const owner = { name: options.containerOwner, pid: process.pid };
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
      const denied = await checkContainerVolumes(request.taskId, task.volumes, options.allowedVolumes);
      if (denied !== undefined) return finish({ outcome: 'failed', error: denied });
      const read = await readContextForTask(request.taskId, executeOptions.context);
      if ('error' in read) return finish({ outcome: 'failed', error: read.error });
      const { context } = read;
      engine ??= connectContainerEngine(options.containerSocket);
      const scratch = await makeScratch(request);
      // A secret wins over an `env` entry of the same name, as for shell tasks.
      const taskEnv = { ...task.env, ...secrets.values };
      const env = buildShellEnv({}, request, taskEnv, context, `${CONTAINER_INPUT_DIR}/inputs.json`);
      env.TRIBUTARY_OUTPUT_FILE = `${CONTAINER_OUTPUT_DIR}/${CONTAINER_OUTPUT_FILE}`;
      const createOptions = containerCreateOptions(request, task, env, scratch.mounts, owner);
      const halt = new AbortController();
      let container: ContainerRun | undefined;
      const stopper = createAttemptStopper({
        signal: executeOptions.signal,
        timeoutMs: task.timeoutMs,
        killGraceMs: options.killGraceMs,
        onStop: () => {
          halt.abort();
          container?.signal('SIGTERM');
        },
        onKill: () => container?.signal('SIGKILL'),
      });
      // The timeout covers the pull too: a task's time limit is the time it holds a worker slot.
      stopper.startClock();
      const attempt = pullThenRun(engine, request.taskId, task, createOptions, logs, halt.signal, (run) => {
        container = run;
      });
      running.add(stopper, attempt);
      try {
        const ending = await attempt;
        if (stopper.reason !== undefined)
          return finish(stopResult(stopper.reason, request.taskId, task.timeoutMs));
        if ('error' in ending) return finish({ outcome: 'failed', error: ending.error });
        if ('halted' in ending) return finish(stopResult('cancel', request.taskId, task.timeoutMs));
        const outputFile = join(scratch.mounts.outputDir, CONTAINER_OUTPUT_FILE);
        return finish(
          await containerResult(request.taskId, task, ending.exitCode, ending.lastStdout, outputFile),
        );
      } finally {
        stopper.dispose();
        running.delete(stopper);
        await rm(scratch.dir, { recursive: true, force: true });
      }
    },
    async close() {
      await running.killAll();
    },
  };
}

/** Makes the image ready, then runs the container; `onRun` gets it, so that the stopper can signal it. */
async function pullThenRun(
  docker: Docker,
  taskId: string,
  task: ContainerTaskModel,
  createOptions: ContainerCreateOptions,
  logs: LogSink,
  halted: AbortSignal,
  onRun: (run: ContainerRun) => void,
): Promise<ContainerEnding> {
  const notReady = await ensureContainerImage(docker, taskId, task.image, task.pull, logs, halted);
  if (notReady !== undefined) return { error: notReady };
  if (halted.aborted) return { halted: true };
  const run = runContainer(docker, taskId, createOptions, logs, halted);
  onRun(run);
  return run.done;
}

/**
 * The attempt's host folders: `input/inputs.json` and an empty `output/`. Opened to every user, since
 * the container may run as any uid; the folder's random name is what keeps it from other users.
 */
async function makeScratch(request: ExecutionRequest): Promise<{ dir: string; mounts: AttemptMounts }> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-container-'));
  const mounts = { inputDir: join(dir, 'input'), outputDir: join(dir, 'output') };
  await Promise.all([mkdir(mounts.inputDir), mkdir(mounts.outputDir)]);
  await writeFile(join(mounts.inputDir, 'inputs.json'), JSON.stringify(request.inputs), { mode: 0o644 });
  await Promise.all([chmod(dir, 0o711), chmod(mounts.inputDir, 0o755), chmod(mounts.outputDir, 0o777)]);
  return { dir, mounts };
}
