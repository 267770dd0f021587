import type { ContainerTaskModel } from '@tributary/spec';
import type { ContainerCreateOptions } from 'dockerode';
import { CONTAINER_LABELS } from './container-orphans.js';
import { CONTAINER_OUTPUT_DIR } from './container-result.js';
import type { ExecutionRequest } from './types.js';

/** Where the task's bundle folder is mounted, read-only (as the spec's `CONTAINER_BUNDLE_PATH`). */
export const CONTAINER_BUNDLE_DIR = '/bundle';
/** Where the attempt's inputs file is mounted, read-only: `TRIBUTARY_INPUTS_FILE` names it. */
export const CONTAINER_INPUT_DIR = '/tributary/input';

/** The host folders of one attempt that the container sees. */
export interface AttemptMounts {
  /** Holds `inputs.json`; mounted at {@link CONTAINER_INPUT_DIR}. */
  inputDir: string;
  /** Empty, writable; mounted at `CONTAINER_OUTPUT_DIR`. */
  outputDir: string;
}

/** Who started the container, for its labels. */
export interface ContainerOwner {
  name: string;
  pid: number;
}

/**
 * The engine's create request for one attempt: the task's image, command, limits, user and network;
 * the bundle, input and output folders and the task's volumes as bind mounts; `env` as the container's
 * whole environment; labels naming the run, task, attempt and worker. Like a Kubernetes pod, a
 * `command` without `args` drops the image's own command rather than passing it to the new entrypoint.
 */
export function containerCreateOptions(
  request: ExecutionRequest,
  task: ContainerTaskModel,
  env: Readonly<Record<string, string>>,
  mounts: AttemptMounts,
  owner: ContainerOwner,
): ContainerCreateOptions {
  const cmd = task.args ?? (task.command === null ? undefined : []);
  return {
    Image: task.image,
    ...(task.command === null ? {} : { Entrypoint: task.command }),
    ...(cmd === undefined ? {} : { Cmd: cmd }),
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    ...(task.workdir === null ? {} : { WorkingDir: task.workdir }),
    ...(task.user === null ? {} : { User: task.user }),
    Labels: {
      [CONTAINER_LABELS.run]: request.runId,
      [CONTAINER_LABELS.task]: request.taskId,
      [CONTAINER_LABELS.attempt]: String(request.attempt),
      [CONTAINER_LABELS.worker]: owner.name,
      [CONTAINER_LABELS.pid]: String(owner.pid),
    },
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      Binds: [
        `${request.bundleDir}:${CONTAINER_BUNDLE_DIR}:ro`,
        `${mounts.inputDir}:${CONTAINER_INPUT_DIR}:ro`,
        `${mounts.outputDir}:${CONTAINER_OUTPUT_DIR}`,
        ...task.volumes.map(
          (volume) => `${volume.hostPath}:${volume.containerPath}${volume.readOnly ? ':ro' : ''}`,
        ),
      ],
      NetworkMode: task.network,
      ...(task.cpu === null ? {} : { NanoCpus: Math.round(task.cpu * 1e9) }),
      ...(task.memoryBytes === null ? {} : { Memory: task.memoryBytes }),
    },
  };
}
