// `npm run bench:floors`: what the parts under a task cost on this machine, each alone, so that the
// benchmark's figures can be read against them (docs/performance.md, "Where the time goes now"):
// a minimal Postgres transaction with fsync on, a JetStream publish-to-receive hop, and the node
// executor running no-op tasks with 16 and with 2 threads.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pipelinedTransaction, type TransactionConnection } from '@tributary/db';
import postgres from 'postgres';
import { stopAll } from '../test/harness/registry.js';
import { startBenchEnvironment } from './environment.js';
import { quantile } from './stats.js';

const ROUNDS = 500;
const EXECUTOR_FLOOR = join(import.meta.dirname, 'executor-floor.mjs');

const ms = (value: number) => value.toFixed(3);

/**
 * BEGIN, a one-row UPDATE, COMMIT: the least a durable state change costs. Once awaiting each statement
 * (`sql.begin`, three round trips) and once sent together (`pipelinedTransaction`, the run loop's way),
 * alternating so that both see the same noise.
 */
async function postgresTransaction(url: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`CREATE TABLE floor_counter (id int PRIMARY KEY, n bigint NOT NULL)`;
    await sql`INSERT INTO floor_counter VALUES (1, 0)`;
    const update = (tx: TransactionConnection) =>
      tx`UPDATE floor_counter SET n = n + 1 WHERE id = 1`.execute();
    const ways = [
      { name: 'postgres transaction (fsync on), each statement awaited', run: () => sql.begin(update) },
      { name: 'postgres transaction (fsync on), pipelined', run: () => pipelinedTransaction(sql, update) },
    ];
    const times = ways.map((): number[] => []);
    for (let i = 0; i < ROUNDS; i++) {
      for (const [way, { run }] of ways.entries()) {
        const from = performance.now();
        await run();
        times[way]!.push(performance.now() - from);
      }
    }
    return ways.map(
      ({ name }, way) =>
        `${name}: median ${ms(quantile(times[way]!, 0.5))} ms, p90 ${ms(quantile(times[way]!, 0.9))} ms, p99 ${ms(quantile(times[way]!, 0.99))} ms over ${ROUNDS}`,
    );
  } finally {
    await sql.end();
  }
}

/** A JetStream publish seen by a subscriber on another connection, one message at a time. */
async function jetstreamHop(url: string): Promise<string> {
  const [publisher, subscriber] = await Promise.all([connect({ servers: url }), connect({ servers: url })]);
  try {
    await (await jetstreamManager(publisher)).streams.add({ name: 'FLOOR', subjects: ['floor.>'] });
    const js = jetstream(publisher);
    const times: number[] = [];
    let received: (() => void) | undefined;
    subscriber.subscribe('floor.hop', { callback: () => received?.() });
    await subscriber.flush();
    for (let i = 0; i < ROUNDS; i++) {
      const arrived = new Promise<void>((resolve) => {
        received = resolve;
      });
      const from = performance.now();
      const stored = js.publish('floor.hop', new Uint8Array(64));
      await arrived;
      times.push(performance.now() - from);
      await stored;
    }
    return `jetstream publish → receive: median ${ms(quantile(times, 0.5))} ms, p99 ${ms(quantile(times, 0.99))} ms over ${ROUNDS}`;
  } finally {
    await Promise.all([publisher.close(), subscriber.close()]);
  }
}

/** The node executor alone, in a plain node process (see executor-floor.mjs). */
function executor(threads: number, bundleDir: string): string {
  return execFileSync(process.execPath, [EXECUTOR_FLOOR, String(threads), bundleDir], {
    encoding: 'utf8',
  }).trim();
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'tributary-floors-'));
  const bundleDir = join(root, 'bundle');
  await mkdir(bundleDir);
  await writeFile(join(bundleDir, 'noop.mjs'), 'export function run() {\n  return null;\n}\n');
  const env = await startBenchEnvironment();
  try {
    const { machine } = env;
    console.log(
      `Machine: ${machine.cores} cores (${machine.cpu}), Node ${machine.node}, Postgres ${machine.postgres}, ${machine.nats}`,
    );
    for (const line of await postgresTransaction(env.pg.url)) console.log(line);
    console.log(await jetstreamHop(env.nats.url));
    console.log(executor(16, bundleDir));
    console.log(executor(2, bundleDir));
  } finally {
    await stopAll();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
