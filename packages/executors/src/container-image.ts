import type { Failure } from '@tributary/core';
import type { ContainerPullPolicy } from '@tributary/spec';
import type Docker from 'dockerode';
import { engineFailure, engineMessage, engineStatus } from './container-engine.js';
import type { LogSink } from './log-sink.js';

/**
 * Makes sure `image` is in the engine's store as `policy` says: `always` pulls, `if_missing` pulls only
 * when it is not there, `never` fails when it is not there (`ContainerImageMissing`, not retryable:
 * someone must load it). A failed pull is retryable (registries come back). Aborting `signal` stops a
 * pull. Logs one line per pull. Returns the failure, or undefined when the image is ready.
 */
export async function ensureContainerImage(
  docker: Docker,
  taskId: string,
  image: string,
  policy: ContainerPullPolicy,
  logs: LogSink,
  signal: AbortSignal,
): Promise<Failure | undefined> {
  if (policy !== 'always') {
    try {
      await docker.getImage(image).inspect();
      return undefined;
    } catch (error) {
      if (engineStatus(error) !== 404) return engineFailure(taskId, `looking up image '${image}'`, error);
    }
    if (policy === 'never') {
      return {
        type: 'ContainerImageMissing',
        message: `task '${taskId}': image '${image}' is not on this worker's container engine, and its pull policy is never`,
        retryable: false,
        details: { image },
      };
    }
  }
  logs.push('stderr', `tributary: pulling image ${image}`);
  try {
    await pull(docker, image, signal);
    return undefined;
  } catch (error) {
    if (signal.aborted) return undefined;
    return {
      type: 'ContainerPullError',
      message: `task '${taskId}': pulling image '${image}' failed: ${engineMessage(error)}`,
      retryable: true,
      details: { image },
    };
  }
}

/** Pulls and waits for the pull to finish: the engine reports a failed pull inside the progress stream. */
async function pull(docker: Docker, image: string, signal: AbortSignal): Promise<void> {
  const stream = (await docker.pull(image)) as NodeJS.ReadableStream & { destroy?: () => void };
  let onAbort = (): void => {};
  try {
    await new Promise<void>((resolve, reject) => {
      // A destroyed stream may never report its end: the abort settles the wait itself.
      onAbort = () => {
        stream.destroy?.();
        reject(new Error('pull stopped'));
      };
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      docker.modem.followProgress(stream, (error: Error | null) =>
        error === null ? resolve() : reject(error),
      );
    });
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
