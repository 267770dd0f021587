import { Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { Failure } from '@tributary/core';
import type Docker from 'dockerode';
import type { ContainerCreateOptions } from 'dockerode';
import { engineFailure, engineStatus } from './container-engine.js';
import { createLineSplitter } from './line-splitter.js';
import type { LogSink } from './log-sink.js';

/** How a container run ended: its exit code, or why it did not run to the end. */
export type ContainerEnding =
  | { exitCode: number; lastStdout: string | undefined }
  | { error: Failure }
  | { halted: true };

/** One container of an attempt, from create to remove. */
export interface ContainerRun {
  /** Sends a signal to the container, if it runs (the stopper's SIGTERM, then SIGKILL). */
  signal(name: 'SIGTERM' | 'SIGKILL'): void;
  /** Resolves once the container has ended and has been removed. Never rejects. */
  readonly done: Promise<ContainerEnding>;
}

/**
 * How long to wait for the last log bytes once the engine says the container exited: the attach
 * stream ends right after, unless the engine is in trouble, which must not hold the attempt up.
 */
const LOG_DRAIN_MS = 2000;

/**
 * Creates the container, attaches to its output (stdout and stderr lines go to `logs` as they come),
 * starts it and waits for its exit; then removes it, whatever happened. `halted` aborted before the
 * start means the attempt was stopped: the container is removed without running.
 */
export function runContainer(
  docker: Docker,
  taskId: string,
  options: ContainerCreateOptions,
  logs: LogSink,
  halted: AbortSignal,
): ContainerRun {
  let container: Docker.Container | undefined;
  let started = false;
  let exited = false;
  const signal = (name: 'SIGTERM' | 'SIGKILL'): void => {
    // A container that already exited refuses the signal (409): nothing left to stop.
    if (started) void container?.kill({ signal: name }).catch(() => {});
  };
  const run = async (): Promise<ContainerEnding> => {
    try {
      container = await docker.createContainer(options);
    } catch (error) {
      return { error: engineFailure(taskId, `creating a container of image '${options.Image}'`, error) };
    }
    try {
      if (halted.aborted) return { halted: true };
      const stream = await container.attach({ stream: true, stdout: true, stderr: true });
      const output = followOutput(docker, stream, logs);
      await container.start();
      started = true;
      // Stopped while starting: the stopper's SIGTERM found nothing to signal, so end it at once.
      if (halted.aborted) signal('SIGKILL');
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      exited = true;
      await Promise.race([output.ended, new Promise((resolve) => setTimeout(resolve, LOG_DRAIN_MS).unref())]);
      return { exitCode: StatusCode, lastStdout: output.lastStdout() };
    } catch (error) {
      if (engineStatus(error) === 404) {
        const message = `task '${taskId}': its container was removed while it ran`;
        return { error: { type: 'ContainerLost', message, retryable: true } };
      }
      return { error: engineFailure(taskId, 'running the container', error) };
    } finally {
      await remove(container, exited, logs);
    }
  };
  return { signal, done: run() };
}

/** Demultiplexes the attach stream into stdout and stderr lines; remembers the last non-empty stdout line. */
function followOutput(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  logs: LogSink,
): { ended: Promise<void>; lastStdout: () => string | undefined } {
  let last: string | undefined;
  const stdout = lineWriter((line) => {
    if (line.trim() !== '') last = line;
    logs.push('stdout', line);
  });
  const stderr = lineWriter((line) => logs.push('stderr', line));
  docker.modem.demuxStream(stream, stdout.writable, stderr.writable);
  const ended = new Promise<void>((resolve) => {
    const finish = () => {
      stdout.end();
      stderr.end();
      resolve();
    };
    stream.once('end', finish);
    stream.once('close', finish);
    stream.once('error', finish);
  });
  return { ended, lastStdout: () => last };
}

/** A writable that decodes UTF-8 (a character may be split across chunks) and splits it into lines. */
function lineWriter(onLine: (line: string) => void): { writable: Writable; end: () => void } {
  const decoder = new StringDecoder('utf8');
  const splitter = createLineSplitter(onLine);
  let ended = false;
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!ended) splitter.write(decoder.write(chunk));
      callback();
    },
  });
  return {
    writable,
    end() {
      if (ended) return;
      ended = true;
      splitter.write(decoder.end());
      splitter.end();
    },
  };
}

/**
 * Removes the container, running or not; one that is gone already is fine. One that may still run (the
 * engine failed mid-attempt) is killed first: a forced remove would give it the engine's own grace period.
 */
async function remove(
  container: Docker.Container | undefined,
  exited: boolean,
  logs: LogSink,
): Promise<void> {
  if (container === undefined) return;
  if (!exited) await container.kill({ signal: 'SIGKILL' }).catch(() => {});
  try {
    await container.remove({ force: true, v: true });
  } catch (error) {
    if (engineStatus(error) === 404) return;
    // The worker's orphan cleanup removes it at its next start.
    logs.push('stderr', `tributary: could not remove container ${container.id}: ${String(error)}`);
  }
}
