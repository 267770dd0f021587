// Container tasks against a real engine: Podman's Docker-compatible API service, started by the harness
// with its own storage and a busybox image it builds (no registry is needed).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONTAINER_LABELS,
  createExecutor,
  type ExecuteOptions,
  type ExecutionRequest,
  type ExecutorOptions,
  removeOrphanContainers,
  type TaskExecutor,
} from '@tributary/executors';
import { type ContainerTaskModel, taskDefaults } from '@tributary/spec';
import { compileWorkerOptions, startWorker } from '@tributary/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PodmanService, startNats, startPodman, stopAll } from '../harness/index.js';

let podman: PodmanService;
let scratch: string;
let bundleDir: string;
let executor: TaskExecutor | undefined;

beforeAll(async () => {
  podman = await startPodman();
  scratch = await mkdtemp(join(tmpdir(), 'tributary-container-test-'));
  bundleDir = join(scratch, 'bundle');
  await mkdir(bundleDir);
  await writeFile(join(bundleDir, 'hello.txt'), 'hello from the bundle\n');
});

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
  await stopAll();
});

function open(options: ExecutorOptions = {}): TaskExecutor {
  executor = createExecutor({
    containerSocket: podman.socket,
    killGraceMs: 500,
    containerOwner: 'test-worker',
    ...options,
  });
  return executor;
}

let taskCounter = 0;

/** A container task running `script` with busybox sh, under a task id of its own. */
function request(
  script: string,
  task: Partial<ContainerTaskModel> = {},
  fields: Partial<Omit<ExecutionRequest, 'task'>> = {},
): ExecutionRequest {
  taskCounter += 1;
  const model: ContainerTaskModel = {
    ...taskDefaults(),
    id: `box${taskCounter}`,
    kind: 'container',
    image: podman.image,
    command: ['sh', '-c'],
    args: [script],
    workdir: null,
    cpu: null,
    memoryBytes: null,
    pull: 'never',
    network: 'none',
    user: null,
    volumes: [],
    skipExitCode: 99,
    ...task,
  };
  return {
    runId: 'run-c1',
    taskId: model.id,
    attempt: 1,
    bundleDir,
    params: {},
    inputs: {},
    logicalDate: Date.UTC(2026, 0, 2),
    ...fields,
    task: model,
  };
}

/** The ids of the containers labelled with this task id, running or not. */
async function containersOf(taskId: string): Promise<string[]> {
  const out = await podman.podman([
    'ps',
    '--all',
    '--quiet',
    '--filter',
    `label=${CONTAINER_LABELS.task}=${taskId}`,
  ]);
  return out.split('\n').filter((line) => line.trim() !== '');
}

/** Runs `req`, resolving `started` with the first log line (the container is up by then). */
function runUntilFirstLine(req: ExecutionRequest, options: ExecuteOptions = {}) {
  let onFirst: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onFirst = resolve;
  });
  const result = open().execute(req, { ...options, onLog: () => onFirst() });
  return { started, result };
}

/** Starts a `sleep 60` container labelled as a task container of `owner`'s worker process `pid`. */
async function startLabelled(owner: string, pid: number): Promise<string> {
  const args = ['run', '--detach', '--network', 'none'];
  args.push('--label', `${CONTAINER_LABELS.worker}=${owner}`, '--label', `${CONTAINER_LABELS.pid}=${pid}`);
  return (await podman.podman([...args, podman.image, 'sleep', '60'])).trim();
}

describe('container tasks', () => {
  it('succeed with the last stdout line as JSON output, streaming stdout and stderr lines', async () => {
    const lines: string[] = [];
    const result = await open().execute(request(`echo starting; echo warn >&2; echo '{"rows": 3}'`), {
      onLog: (line) => lines.push(`${line.stream}:${line.line}`),
    });
    expect(result).toMatchObject({ outcome: 'succeeded', output: { rows: 3 } });
    expect(lines).toEqual(expect.arrayContaining(['stdout:starting', 'stderr:warn', 'stdout:{"rows": 3}']));
  });

  it('take the output file over the last stdout line', async () => {
    const script = `echo '{"from": "stdout"}'; echo '{"from": "file"}' > "$TRIBUTARY_OUTPUT_FILE"; echo '{"from": "stdout"}'`;
    const result = await open().execute(request(script));
    expect(result).toMatchObject({ outcome: 'succeeded', output: { from: 'file' } });
  });

  it('fail on a non-zero exit with the log tail, and skip on exit code 99', async () => {
    const failed = await open().execute(request('echo boom >&2; exit 1'));
    expect(failed).toMatchObject({
      outcome: 'failed',
      error: { type: 'ContainerExitError', message: 'container exited with code 1', retryable: true },
    });
    expect(failed.logTail).toContain('boom');
    const skipped = await open().execute(request('exit 99'));
    expect(skipped).toMatchObject({ outcome: 'skipped', error: { type: 'SkipTask' } });
  });

  it('see the run identifiers, TRACEPARENT and templated env and args, but not the worker environment', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const script =
      'echo "$TRACEPARENT|$TRIBUTARY_RUN_ID|$TRIBUTARY_TASK_ID|$TRIBUTARY_ATTEMPT|$GREETING|$WORKER_ONLY|{{ params.who }}"';
    const req = request(
      script,
      { env: { GREETING: 'hi {{ params.who }}' } },
      { params: { who: 'ana' }, attempt: 2, traceparent },
    );
    const result = await open({ baseEnv: { WORKER_ONLY: 'leaked' } }).execute(req);
    expect(result.outcome).toBe('succeeded');
    expect(result.logTail).toEqual([`${traceparent}|run-c1|${req.taskId}|2|hi ana||ana`]);
  });

  it('see the bundle folder read-only at /bundle', async () => {
    const script =
      'cat /bundle/hello.txt; if touch /bundle/new 2>/dev/null; then echo writable; else echo read-only; fi';
    const result = await open().execute(request(script));
    expect(result.logTail).toEqual(['hello from the bundle', 'read-only']);
  });

  it('are stopped at their timeout and their container removed', async () => {
    const req = request('sleep 60', { timeoutMs: 1000 });
    const result = await open().execute(req);
    expect(result).toMatchObject({ outcome: 'timed_out', error: { type: 'TimeoutError' } });
    expect(await containersOf(req.taskId)).toEqual([]);
  });

  it('are cancelled by their signal, labelled while they run, and removed', async () => {
    const controller = new AbortController();
    const req = request('echo ready; sleep 60', {}, { attempt: 3 });
    const { started, result } = runUntilFirstLine(req, { signal: controller.signal });
    await started;
    const [id] = await containersOf(req.taskId);
    const labels = JSON.parse(
      await podman.podman(['inspect', '--format', '{{json .Config.Labels}}', id ?? '']),
    );
    expect(labels).toMatchObject({
      [CONTAINER_LABELS.run]: 'run-c1',
      [CONTAINER_LABELS.task]: req.taskId,
      [CONTAINER_LABELS.attempt]: '3',
      [CONTAINER_LABELS.worker]: 'test-worker',
      [CONTAINER_LABELS.pid]: String(process.pid),
    });
    controller.abort();
    expect(await result).toMatchObject({ outcome: 'cancelled', error: { type: 'CancelledError' } });
    expect(await containersOf(req.taskId)).toEqual([]);
  });

  it('fail with a clear error, creating no container, when a volume is not under an allowed folder', async () => {
    const allowed = join(scratch, 'allowed');
    await mkdir(allowed, { recursive: true });
    // A socket nobody serves: reaching the engine at all would fail with ContainerEngineError instead.
    executor = createExecutor({
      containerSocket: join(scratch, 'no-engine.sock'),
      allowedVolumes: [allowed],
    });
    const req = request('true', {
      volumes: [{ hostPath: '/etc', containerPath: '/host-etc', readOnly: true }],
    });
    const result = await executor.execute(req);
    expect(result).toMatchObject({
      outcome: 'failed',
      error: {
        type: 'ContainerVolumeDenied',
        message: `task '${req.taskId}': volume '/etc:/host-etc' is denied: host path '/etc' is not under a folder this worker allows (${allowed})`,
        retryable: false,
      },
    });
  });

  it('mount a volume under an allowed folder', async () => {
    const allowed = join(scratch, 'data');
    await mkdir(join(allowed, 'in'), { recursive: true });
    await writeFile(join(allowed, 'in', 'n.txt'), '42\n');
    const volumes = [{ hostPath: join(allowed, 'in'), containerPath: '/in', readOnly: true }];
    const result = await open({ allowedVolumes: [allowed] }).execute(request('cat /in/n.txt', { volumes }));
    expect(result).toMatchObject({ outcome: 'succeeded', output: 42 });
  });

  it('fail without pulling when the image is missing and the pull policy is never', async () => {
    const result = await open().execute(request('true', { image: 'localhost/not-there:1' }));
    expect(result).toMatchObject({
      outcome: 'failed',
      error: { type: 'ContainerImageMissing', retryable: false },
    });
  });
});

describe('orphan cleanup', () => {
  it("removes this owner's containers whose worker process is gone, and keeps the others", async () => {
    const orphan = await startLabelled('owner-a', 4001);
    const sibling = await startLabelled('owner-a', 4002);
    const stranger = await startLabelled('owner-b', 4001);
    const removed = await removeOrphanContainers({
      socket: podman.socket,
      owner: 'owner-a',
      isAlive: (pid) => pid === 4002,
    });
    expect(removed).toEqual([orphan]);
    const left = (await podman.podman(['ps', '--all', '--quiet', '--no-trunc'])).split('\n').filter(Boolean);
    expect(left).toEqual(expect.arrayContaining([sibling, stranger]));
    expect(left).not.toContain(orphan);
  });
});

describe('worker start', () => {
  it('removes the containers its owner left behind before it takes tasks', async () => {
    // Above the largest pid Linux hands out (2^22): no process can have it.
    const orphan = await startLabelled('owner-w', 2 ** 22 + 1);
    const nats = await startNats();
    const options = compileWorkerOptions({
      natsUrl: nats.url,
      prefix: 'ctr',
      containerSocket: podman.socket,
      containerOwner: 'owner-w',
      metricsListen: 'off',
      logLevel: 'error',
    });
    const worker = await startWorker(options);
    await worker.stop();
    const left = (await podman.podman(['ps', '--all', '--quiet', '--no-trunc'])).split('\n');
    expect(left).not.toContain(orphan);
  });
});
