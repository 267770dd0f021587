import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type NatsServer,
  type PostgresServer,
  spawnProcess,
  startNats,
  startPostgres,
  stopAll,
  waitFor,
} from './harness/index.js';

// Each test names its own databases, tables and streams, so their order does not matter, except for the
// last describe block, which calls stopAll() and so must run last.

let pg: PostgresServer;
let nats: NatsServer;

beforeAll(async () => {
  [pg, nats] = await Promise.all([startPostgres(), startNats()]);
});

afterAll(async () => {
  await stopAll();
});

async function query<T extends object>(url: string, text: string): Promise<T[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return [...(await sql.unsafe<T[]>(text))];
  } finally {
    await sql.end();
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startPostgres', () => {
  it('serves its own port and creates empty databases that accept queries', async () => {
    expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/postgres`);
    const url = await pg.createDatabase('harness_orders');
    expect(url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/harness_orders`);
    await query(url, 'create table orders (id int primary key)');
    await query(url, 'insert into orders values (1), (2)');
    expect(await query(url, 'select current_database() as db, count(*)::int as n from orders')).toEqual([
      { db: 'harness_orders', n: 2 },
    ]);
    const other = await pg.createDatabase();
    expect(
      await query(other, "select count(*)::int as n from pg_tables where schemaname = 'public'"),
    ).toEqual([{ n: 0 }]);
  });

  it('starts again after a SIGKILL and keeps every acknowledged commit', async () => {
    const url = await pg.createDatabase('harness_crash');
    await query(url, 'create table events (id int primary key)');
    // Committed right before the kill: lost if commits were acknowledged before reaching the WAL.
    await query(url, 'insert into events select generate_series(1, 100)');
    await pg.kill();
    await expect(query(url, 'select 1')).rejects.toThrow();
    await pg.start();
    expect(await query(url, 'select count(*)::int as n from events')).toEqual([{ n: 100 }]);
  });

  it('restarts with a fast shutdown and keeps its data and port', async () => {
    const url = await pg.createDatabase('harness_restart');
    await query(url, 'create table t (v text)');
    await query(url, "insert into t values ('kept')");
    await pg.restart();
    expect(await query(url, 'select v from t')).toEqual([{ v: 'kept' }]);
    await pg.stop('immediate');
    await pg.start();
    expect(await query(url, 'select v from t')).toEqual([{ v: 'kept' }]);
  });

  it('runs two servers side by side on different ports and data dirs', async () => {
    const second = await startPostgres();
    try {
      expect(second.port).not.toBe(pg.port);
      expect(second.dataDir).not.toBe(pg.dataDir);
      expect(await query(second.url, 'select 1 as one')).toEqual([{ one: 1 }]);
    } finally {
      await second[Symbol.asyncDispose]();
    }
    expect(existsSync(second.dataDir)).toBe(false);
  });
});

describe('startNats', () => {
  it('keeps JetStream messages across a stop and start on the same port', async () => {
    const port = nats.port;
    let nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'HARNESS_SURVIVES', subjects: ['harness.survives.>'] });
    await jetstream(nc).publish('harness.survives.a', 'hello');
    await nc.close();

    await nats.stop();
    await expect(connect({ servers: nats.url, reconnect: false, timeout: 500 })).rejects.toThrow();
    await nats.start();

    expect(nats.port).toBe(port);
    nc = await connect({ servers: nats.url });
    try {
      const stored = await (await jetstreamManager(nc)).streams.getMessage('HARNESS_SURVIVES', { seq: 1 });
      expect(stored?.subject).toBe('harness.survives.a');
      expect(stored?.string()).toBe('hello');
    } finally {
      await nc.close();
    }
  });

  it('comes back after a SIGKILL with its streams', async () => {
    const nc = await connect({ servers: nats.url });
    await (await jetstreamManager(nc)).streams.add({ name: 'HARNESS_KILLED', subjects: ['harness.killed'] });
    await nc.close();
    await nats.kill();
    await nats.restart();
    const again = await connect({ servers: nats.url });
    try {
      const info = await (await jetstreamManager(again)).streams.info('HARNESS_KILLED');
      expect(info.config.subjects).toEqual(['harness.killed']);
    } finally {
      await again.close();
    }
  });
});

describe('spawnProcess', () => {
  const script = `
    process.on('SIGTERM', () => { console.error('draining'); process.exit(0); });
    console.log('worker ready');
    setInterval(() => {}, 1000);
  `;

  it('captures output, waits for a line and stops the process with SIGTERM', async () => {
    const child = spawnProcess(process.execPath, ['-e', script], { name: 'harness-worker' });
    await child.waitForOutput(/worker ready/);
    expect(child.pid).toBeGreaterThan(0);
    expect(await child.stop()).toBe(0);
    expect(child.output()).toContain('draining');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('passes extra environment variables and the working directory', async () => {
    const child = spawnProcess(
      process.execPath,
      ['-e', 'console.log(process.env.HARNESS_VAR, process.cwd())'],
      {
        env: { HARNESS_VAR: 'from-test' },
        cwd: '/',
      },
    );
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(child.output()).toBe('from-test /\n');
  });

  it('rejects waitForOutput with the output when the process exits first', async () => {
    const child = spawnProcess(process.execPath, ['-e', "console.log('bad config'); process.exit(3)"]);
    await expect(child.waitForOutput(/never printed/)).rejects.toThrow(
      /exit code 3\) before printing.*\n.*bad config/s,
    );
  });

  it('rejects waitForOutput after its timeout', async () => {
    const child = spawnProcess(process.execPath, ['-e', script]);
    await expect(child.waitForOutput(/never printed/, 200)).rejects.toThrow(/did not print .* within 200ms/);
    await child.kill();
    expect(child.exitStatus).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('SIGKILLs a process that ignores SIGTERM once the stop timeout passes', async () => {
    const stubborn = "process.on('SIGTERM', () => {}); console.log('up'); setInterval(() => {}, 1000);";
    const child = spawnProcess(process.execPath, ['-e', stubborn]);
    await child.waitForOutput(/up/);
    expect(await child.stop(300)).toBeNull();
    expect(await child.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('delivers any signal the test sends', async () => {
    const child = spawnProcess(process.execPath, [
      '-e',
      "process.on('SIGUSR2', () => process.exit(7)); setInterval(() => {}, 1000); console.log('up')",
    ]);
    await child.waitForOutput(/up/);
    child.signal('SIGUSR2');
    expect(await child.exited).toEqual({ code: 7, signal: null });
  });

  it('throws at once when the command does not exist', () => {
    expect(() => spawnProcess('/nonexistent/tributary-binary', [])).toThrow(/Could not start/);
  });
});

describe('waitFor and freePort', () => {
  it('returns the first truthy value fn returns', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? `after ${calls}` : undefined), {
      intervalMs: 1,
      description: 'three calls',
    });
    expect(value).toBe('after 3');
  });

  it('times out with the description and the last error', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still booting');
        },
        { timeoutMs: 50, intervalMs: 10, description: 'the moon' },
      ),
    ).rejects.toThrow('Timed out after 50ms waiting for the moon (last error: still booting)');
  });

  it('hands out distinct ports', async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    expect(new Set(ports).size).toBe(3);
    for (const port of ports) expect(port).toBeGreaterThan(0);
  });
});

// Must stay last: stopAll() also stops the servers the other tests use.
describe('stopAll', () => {
  it('stops every leftover server and process and removes their temp dirs', async () => {
    const extraPg = await startPostgres();
    const extraNats = await startNats();
    const child = spawnProcess(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { name: 'leftover' });
    const postmasterPid = Number(
      readFileSync(join(extraPg.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0],
    );
    expect(isAlive(postmasterPid)).toBe(true);

    const stopped = await stopAll();

    expect(stopped).toEqual(
      expect.arrayContaining(['leftover', `postgres :${extraPg.port}`, `nats-server :${extraNats.port}`]),
    );
    expect(stopped).toContain(`postgres :${pg.port}`);
    for (const dir of [extraPg.dataDir, extraNats.storeDir, pg.dataDir, nats.storeDir]) {
      expect(existsSync(dir)).toBe(false);
    }
    expect(isAlive(child.pid)).toBe(false);
    expect(isAlive(postmasterPid)).toBe(false);
    expect(await stopAll()).toEqual([]);
  });
});
