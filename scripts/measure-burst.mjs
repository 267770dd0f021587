#!/usr/bin/env node
// Measures a burst of ready tasks on a real coordinator and workers: `runs` runs triggered at once, in
// each a `start` task releasing `tasks` no-op node tasks. Reports the time until every run finished,
// the coordinator's and workers' peak memory (VmHWM) and how many attempts were declared lost
// (heartbeats starved by the burst would show there).
//
//   node scripts/measure-burst.mjs [tasks=100000] [workers=2] [concurrency=16] [runs=1] [postgres admin URL]
//     [NATS URL] [most seconds to wait=600] [task sleep ms=0]
//
// With a task sleep, tasks wait instead of computing: adding workers should add throughput.
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

const [tasks = 100_000, workers = 2, concurrency = 16, runs = 1] = process.argv.slice(2, 6).map(Number);
const ADMIN_URL = process.argv[6] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS_URL = process.argv[7] ?? 'nats://127.0.0.1:4222';
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
  const sleepMs = Number(process.argv[9] ?? 0);
  await writeFile(
    join(dir, 'noop.mjs'),
    `export async function run() { await new Promise((r) => setTimeout(r, ${sleepMs})); return null; }\n`,
  );

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
  await Promise.all(Array.from({ length: runs }, () => client.triggerRun({ dag: 'burst' })));
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  // Until every run finished, or ten minutes (a stuck run shows in runStates).
  for (let waited = 0; waited < (Number(process.argv[8]) || 600); waited++) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const [{ open }] = await sql`SELECT count(*)::int AS open FROM runs WHERE state IN ('running', 'queued')`;
    if (open === 0) break;
  }
  const seconds = (Date.now() - triggeredAt) / 1000;
  const states = await sql`SELECT state, count(*)::int AS n FROM runs GROUP BY state`;
  const [{ lost }] = await sql`SELECT count(*)::int AS lost FROM task_attempts WHERE state = 'lost'`;
  const [{ attempts }] = await sql`SELECT count(*)::int AS attempts FROM task_attempts`;
  await sql.end();
  client.close();
  const peak = async (child) =>
    Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${child.pid}/status`, 'utf8'))[1]);
  const mib = (kib) => Math.round(kib / 1024);
  console.log(
    JSON.stringify({
      runs,
      tasks: (tasks + 1) * runs,
      runStates: Object.fromEntries(states.map((row) => [row.state, row.n])),
      seconds,
      tasksPerSecond: Math.round(((tasks + 1) * runs) / seconds),
      attempts,
      lostAttempts: lost,
      coordinatorPeakRssMiB: mib(await peak(coordinator)),
      workerPeakRssMiB: await Promise.all(children.slice(1).map(async (w) => mib(await peak(w)))),
    }),
  );
} finally {
  // The processes' last output, for a look afterwards.
  await Promise.all(children.map((child, i) => writeFile(join(tmpdir(), `${tag}-${i}.log`), child.output)));
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
