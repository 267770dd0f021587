import { create } from '@bufbuild/protobuf';
import { Code, TributaryError } from '@tributary/core';
import { LogStream, type TaskLogLine, TaskLogLineSchema, timestamp } from '@tributary/proto';
import type {
  AttemptRef,
  TaskLogBatchInit,
  TaskLogEntry,
  TaskLogWriter,
  TaskLogWriterOptions,
} from './types.js';

/** Default of `flushIntervalMs`: short enough to follow live, long enough to share messages. */
export const DEFAULT_LOG_FLUSH_INTERVAL_MS = 100;
/** Default of `maxBatchBytes`. */
export const DEFAULT_LOG_BATCH_BYTES = 256 * 1024;
/** Default of `maxBufferedBytes`. */
export const DEFAULT_LOG_BUFFERED_BYTES = 8 * 1024 * 1024;
// What a line costs in a batch besides its text: the timestamp, stream, level and field tags.
const LINE_OVERHEAD_BYTES = 32;

const STREAMS: Record<TaskLogEntry['stream'], LogStream> = {
  stdout: LogStream.STDOUT,
  stderr: LogStream.STDERR,
  log: LogStream.LOG,
};

/** Sends one batch and resolves once it is stored (the PubAck). */
export type SendLogBatch = (batch: TaskLogBatchInit) => Promise<void>;

/**
 * A {@link TaskLogWriter} sending through `send`. One batch is out at a time, so batches are stored in
 * the order they were written, and lines written during a send wait for the next batch: the busier the
 * task, the fuller the batches, never one message per line (issue 6: no per-line round trips).
 */
export function createTaskLogWriter(
  ref: AttemptRef,
  send: SendLogBatch,
  options: TaskLogWriterOptions & { maxBatchBytes: number },
): TaskLogWriter {
  return new BatchingTaskLogWriter(ref, send, {
    flushIntervalMs: options.flushIntervalMs ?? DEFAULT_LOG_FLUSH_INTERVAL_MS,
    maxBatchBytes: options.maxBatchBytes,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_LOG_BUFFERED_BYTES,
    onError: options.onError ?? (() => {}),
  });
}

interface WriterSettings {
  flushIntervalMs: number;
  maxBatchBytes: number;
  maxBufferedBytes: number;
  onError(error: unknown): void;
}

interface BufferedLine {
  line: TaskLogLine;
  bytes: number;
}

class BatchingTaskLogWriter implements TaskLogWriter {
  readonly #ref: AttemptRef;
  readonly #send: SendLogBatch;
  readonly #settings: WriterSettings;
  #buffer: BufferedLine[] = [];
  #bufferedBytes = 0;
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #closed = false;
  #endSent = false;
  /** Whether any batch went out: an attempt that logged nothing sends nothing, not even the marker. */
  #sentAny = false;
  #failed = false;

  constructor(ref: AttemptRef, send: SendLogBatch, settings: WriterSettings) {
    this.#ref = ref;
    this.#send = send;
    this.#settings = settings;
  }

  write(entry: TaskLogEntry): void {
    if (this.#closed) return;
    const bytes = Buffer.byteLength(entry.line) + LINE_OVERHEAD_BYTES;
    if (this.#bufferedBytes + bytes > this.#settings.maxBufferedBytes) {
      this.#dropped += 1;
      return;
    }
    const line = create(TaskLogLineSchema, {
      at: timestamp(entry.at),
      stream: STREAMS[entry.stream] ?? LogStream.UNSPECIFIED,
      line: entry.line,
      level: entry.level ?? '',
    });
    this.#buffer.push({ line, bytes });
    this.#bufferedBytes += bytes;
    if (this.#bufferedBytes >= this.#settings.maxBatchBytes) this.#sendNext();
    else this.#armTimer();
  }

  end(timeoutMs: number): Promise<boolean> {
    return this.#finish(true, timeoutMs);
  }

  close(timeoutMs: number): Promise<boolean> {
    return this.#finish(false, timeoutMs);
  }

  async #finish(withEndMarker: boolean, timeoutMs: number): Promise<boolean> {
    if (this.#closed) return !this.#failed;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const drained = this.#drain(withEndMarker).then(() => !this.#failed);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      const delivered = await Promise.race([drained, timedOut]);
      if (!delivered && !this.#failed) {
        this.#settings.onError(
          new TributaryError(
            Code.DeadlineExceeded,
            `log of ${describe(this.#ref)} not acknowledged within ${timeoutMs}ms`,
          ),
        );
      }
      return delivered;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the send in flight, then sends every buffered line, the last batch marked when asked. */
  async #drain(withEndMarker: boolean): Promise<void> {
    await this.#sending;
    while (this.#buffer.length > 0) {
      const batch = this.#takeBatch();
      await this.#sendBatch(batch, withEndMarker && this.#buffer.length === 0);
    }
    // Nothing buffered: the marker travels alone, unless nothing was ever sent. A reader following an
    // attempt without lines stops once the attempt is over in Postgres; most tasks log nothing, and a
    // publish and its ack per attempt for a marker alone would cost every one of them.
    if (withEndMarker && !this.#endSent && this.#sentAny) await this.#sendBatch([], true);
  }

  #armTimer(): void {
    if (this.#timer !== undefined || this.#sending !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sendNext();
    }, this.#settings.flushIntervalMs);
  }

  /** Starts sending one batch unless one is out; what remains is sent when it returns. */
  #sendNext(): void {
    if (this.#sending !== undefined || this.#buffer.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sending = this.#sendBatch(this.#takeBatch(), false).finally(() => {
      this.#sending = undefined;
      // Once closed, #drain sends the rest.
      if (this.#closed || this.#buffer.length === 0) return;
      if (this.#bufferedBytes >= this.#settings.maxBatchBytes) this.#sendNext();
      else this.#armTimer();
    });
  }

  /** The oldest buffered lines up to `maxBatchBytes`, at least one. */
  #takeBatch(): TaskLogLine[] {
    let bytes = 0;
    let count = 0;
    for (const entry of this.#buffer) {
      if (count > 0 && bytes + entry.bytes > this.#settings.maxBatchBytes) break;
      bytes += entry.bytes;
      count += 1;
    }
    const taken = this.#buffer.splice(0, count);
    this.#bufferedBytes -= bytes;
    return taken.map((entry) => entry.line);
  }

  async #sendBatch(lines: TaskLogLine[], end: boolean): Promise<void> {
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (end) this.#endSent = true;
    this.#sentAny = true;
    try {
      await this.#send({ ref: this.#ref, lines, dropped, end });
    } catch (error) {
      // Lost with their batch: the next batch says how many, so that a reader can tell a gap.
      this.#dropped += dropped + lines.length;
      this.#failed = true;
      this.#settings.onError(error);
    }
  }
}

function describe(ref: AttemptRef): string {
  return `task ${ref.taskId} attempt ${ref.attempt} of run ${ref.runId}`;
}
