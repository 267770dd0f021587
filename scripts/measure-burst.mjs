#!/usr/bin/env node
// Measures a burst of ready tasks on a real coordinator and workers: a `start` task releasing N no-op
// node tasks at once. Reports the run's duration, the coordinator's and workers' peak memory (VmHWM)
// and how many attempts were declared lost (heartbeats starved by the burst would show there).
//
//   node scripts/measure-burst.mjs [tasks=100000] [workers=2] [concurrency=16] [postgres admin URL] [NATS URL]
//
// Uses the machine's Postgres (default postgres://postgres@127.0.0.1:5432/postgres) and nats-server
// (default nats://127.0.0.1:4222), with a database and a NATS prefix of its own; the database is
// dropped afterwards. Build first (npm run build).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@tributary/client';
import postgres from 'postgres';

const [tasks = 100_000, workers = 2, concurrency = 16] = process.argv.slice(2, 5).map(Number);
const ADMIN_URL = process.argv[5] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.argv[6] ?? 'nats://127.0.0.1:4222';
const CLI = new URL('../packages/cli/dist/main.js', import.meta.url).pathname;
const tag = `burst${Date.now()}`;

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`CREATE DATABASE ${tag}`);
const databaseUrl = ADMIN_URL.replace(/\/[^/]*$/, `/${tag}`);
const dir = await mkdtemp(join(tmpdir(), `${tag}-`));
const children = [];
try {
  const lines = ['name: burst', 'tasks:', '  start: { kind: node, module: ./noop.mjs }'];
  for (let i = 0; i < tasks; i++) lines.push(`  t${i}: { kind: node, module: ./noop.mjs, needs: [start] }`);
  await writeFile(join(dir, 'dag.yaml'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'noop.mjs'), 'export function run() { return null; }\n');

  const port = await freePort();
  const env = { ...process.env, DATABASE_URL: databaseUrl, NATS_URL, TRIBUTARY_NATS_PREFIX: tag };
  const coordinator = start([CLI, 'coordinator', '--listen', `127.0.0.1:${port}`], env);
  await waitForLine(coordinator, /coordinator started/);
  for (let i = 0; i < workers; i++) {
    const worker = start([CLI, 'worker', '--concurrency', String(concurrency)], env);
    await waitForLine(worker, /worker started/);
  }
  const client = createClient({ address: `127.0.0.1:${port}` });
  await client.deployDagFolder(dir);
  const triggeredAt = Date.now();
  const { run } = await client.triggerRun({ dag: 'burst' });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let state = 'running';
  while (state === 'running' || state === 'queued') {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    [{ state }] = await sql`SELECT state FROM runs WHERE id = ${run.id}`;
  }
  const seconds = (Date.now() - triggeredAt) / 1000;
  const [{ lost }] =
    await sql`SELECT count(*)::int AS lost FROM task_attempts WHERE run_id = ${run.id} AND state = 'lost'`;
  const [{ attempts }] =
    await sql`SELECT count(*)::int AS attempts FROM task_attempts WHERE run_id = ${run.id}`;
  await sql.end();
  client.close();
  const peak = async (child) =>
    Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))[1]);
  const mib = (kib) => Math.round(kib / 1024);
  console.log(
    JSON.stringify({
      tasks: tasks + 1,
      state,
      seconds,
      tasksPerSecond: Math.round((tasks + 1) / seconds),
      attempts,
      lostAttempts: lost,
      coordinatorPeakRssMiB: mib(await peak(coordinator)),
      workerPeakRssMiB: await Promise.all(children.slice(1).map(async (w) => mib(await peak(w)))),
    }),
  );
} finally {
  for (const child of children) child.kill('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 500));
  await admin.unsafe(`DROP DATABASE IF EXISTS ${tag} WITH (FORCE)`);
  await admin.end();
  await rm(dir, { recursive: true, force: true });
}

function start(args, env) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (chunk) => {
    child.output = (child.output + chunk).slice(-100_000);
  });
  child.stderr.on('data', (chunk) => {
    child.output = (child.output + chunk).slice(-100_000);
  });
  children.push(child);
  return child;
}

async function waitForLine(child, pattern) {
  for (let waited = 0; !pattern.test(child.output); waited += 100) {
    if (waited > 60_000 || child.exitCode !== null) throw new Error(`no ${pattern}: ${child.output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}
