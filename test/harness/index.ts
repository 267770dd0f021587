/**
 * The integration-test harness: real Postgres and nats-server processes on their own ports and temp
 * dirs, a Podman API service with its own storage (container tasks), child processes with captured
 * output, and polling helpers.
 *
 * ```ts
 * import { afterAll, beforeAll, expect, it } from 'vitest';
 * import { startNats, startPostgres, stopAll, type NatsServer, type PostgresServer } from '../harness/index.js';
 *
 * let pg: PostgresServer;
 * let nats: NatsServer;
 * beforeAll(async () => {
 *   [pg, nats] = await Promise.all([startPostgres(), startNats()]);
 * });
 * afterAll(async () => {
 *   await stopAll();
 * });
 * ```
 *
 * Importing it also prints the output of every process the file started when one of its tests fails.
 * @module
 */
import './failure-output.js';

export { findNatsServer, findPostgresBinDir } from './binaries.js';
export {
  type ChildProcessHandle,
  DEFAULT_OUTPUT_TIMEOUT_MS,
  DEFAULT_STOP_TIMEOUT_MS,
  type ExitStatus,
  type SpawnProcessOptions,
  spawnProcess,
} from './child-process.js';
export { freePort } from './free-port.js';
export { type LatencyProxy, startLatencyProxy } from './latency-proxy.js';
export { ManualClock } from './manual-clock.js';
export { type NatsServer, type StartNatsOptions, startNats } from './nats-server.js';
export { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './otlp-receiver.js';
export { PODMAN_TEST_IMAGE, type PodmanService, startPodman } from './podman.js';
export { type PostgresServer, type StartPostgresOptions, startPostgres } from './postgres-server.js';
export { stopAll } from './registry.js';
export { TEMP_DIR_PREFIX } from './temp-dir.js';
export {
  DEFAULT_WAIT_INTERVAL_MS,
  DEFAULT_WAIT_TIMEOUT_MS,
  type WaitForOptions,
  waitFor,
} from './wait-for.js';
