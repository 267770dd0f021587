import type { Failure } from '@tributary/core';
import Docker from 'dockerode';

/**
 * A client of the container engine's Docker-compatible API at `socket`: a unix socket path, a
 * `unix://` URL or a `tcp://host:port` URL (what `DOCKER_HOST` holds). Nothing connects until the
 * first request.
 */
export function connectContainerEngine(socket: string): Docker {
  if (socket.startsWith('tcp://') || socket.startsWith('http://')) {
    const url = new URL(socket.replace(/^tcp:/, 'http:'));
    return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: 'http' });
  }
  return new Docker({ socketPath: socket.replace(/^unix:\/\//, '') });
}

/** The HTTP status of an engine error (404 for a container or image that is gone), if it has one. */
export function engineStatus(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The engine's own words for an error: its JSON `message` when it sent one, else the error's message. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: { message?: unknown } } | null)?.json;
  if (typeof json?.message === 'string') return json.message.trim();
  return error instanceof Error ? error.message : String(error);
}

/**
 * A failure of the engine itself (unreachable socket, refused request) while doing `what`. Retryable:
 * another attempt, maybe on another worker, may find an engine that answers.
 */
export function engineFailure(taskId: string, what: string, error: unknown): Failure {
  const status = engineStatus(error);
  return {
    type: 'ContainerEngineError',
    message: `task '${taskId}': ${what} failed: ${engineMessage(error)}`,
    retryable: true,
    details: status === undefined ? {} : { status },
  };
}
