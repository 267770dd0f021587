import { afterAll, describe, expect, it } from 'vitest';
import { spawnProcess, stopAll } from '../harness/index.js';
import { CLI } from './cluster.js';

afterAll(stopAll);

/** Runs `tributary <args>` with `env` until it exits; bad settings stop it before it connects anywhere. */
async function runCli(args: string[], env: Record<string, string>) {
  const child = spawnProcess(process.execPath, [CLI, ...args], { name: `tributary ${args[0]}`, env });
  const status = await child.exited;
  return { code: status.code, lines: child.output().trim().split('\n') };
}

describe('service logs of the processes', () => {
  it('end with the JSON line saying why the coordinator did not start, naming the bad variable', async () => {
    const { code, lines } = await runCli(['coordinator'], {
      TRIBUTARY_LOG_LEVEL: 'verbose',
      TRIBUTARY_LOG_FORMAT: '',
    });
    expect(code).toBe(1);
    // Written synchronously: the line logged just before the process ends is there.
    const last = JSON.parse(lines.at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({
      level: 'error',
      msg: 'coordinator failed to start',
      service: 'coordinator',
    });
    expect(last.error).toContain(
      "TRIBUTARY_LOG_LEVEL must be one of 'debug', 'info', 'warn', 'error', got 'verbose'",
    );
    expect(Number.isNaN(Date.parse(String(last.time)))).toBe(false);
  });

  it('are readable text, not JSON, when TRIBUTARY_LOG_FORMAT is pretty', async () => {
    const { code, lines } = await runCli(['coordinator'], {
      TRIBUTARY_LOG_FORMAT: 'pretty',
      TRIBUTARY_LOG_LEVEL: '',
      TRIBUTARY_LEASE_TTL_MS: 'soon',
    });
    expect(code).toBe(1);
    const text = lines.join('\n');
    expect(text).toMatch(/ERROR.*coordinator failed to start/);
    expect(text).toContain('leaseTtlMs must be a positive integer');
    expect(lines.some((line) => line.startsWith('{'))).toBe(false);
  });

  it('refuse a worker whose TRIBUTARY_LOG_FORMAT is not one of the allowed values', async () => {
    const { code, lines } = await runCli(['worker'], {
      TRIBUTARY_LOG_FORMAT: 'xml',
      TRIBUTARY_LOG_LEVEL: '',
    });
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toContain(
      "TRIBUTARY_LOG_FORMAT (logFormat) must be one of 'json', 'pretty', got 'xml'",
    );
  });
});
