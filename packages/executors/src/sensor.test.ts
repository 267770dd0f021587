import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SensorModel } from '@tributary/spec';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createExecutor } from './executor.js';
import { assertBuilt } from './test-fixtures/ensure-built.js';
import { nodeRequest, shellRequest } from './test-fixtures/requests.js';
import type { LogLine, TaskExecutor } from './types.js';

const scratch = mkdtempSync(join(tmpdir(), 'tributary-sensor-'));
let executor: TaskExecutor | undefined;
let counters = 0;

function open(): TaskExecutor {
  executor = createExecutor({ maxThreads: 1, killGraceMs: 200, logTailLines: 3 });
  return executor;
}

/** A fresh file in which a sensor counts its pokes. */
function counterFile(): string {
  counters += 1;
  return join(scratch, `counter-${counters}`);
}

function pokesIn(counter: string): number {
  return existsSync(counter) ? Number(readFileSync(counter, 'utf8')) : 0;
}

/** A shell sensor that holds from poke `after` on, printing `{"pokes": n}` then. */
function shellSensor(counter: string, after: number): string {
  return (
    `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > ${counter}; echo "poke $n"; ` +
    `[ $n -ge ${after} ] || exit 100; echo "{\\"pokes\\": $n}"`
  );
}

function poke(overrides: Partial<SensorModel> = {}): SensorModel {
  return { mode: 'poke', intervalMs: 20, timeoutMs: 60_000, softFail: false, ...overrides };
}

beforeAll(() => assertBuilt());

afterEach(async () => {
  await executor?.close();
  executor = undefined;
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('poke-mode sensors', () => {
  it('pokes a shell sensor until it holds, streaming every poke and keeping the last lines overall', async () => {
    const counter = counterFile();
    const lines: LogLine[] = [];
    const result = await open().execute(shellRequest(shellSensor(counter, 3), { sensor: poke() }), {
      onLog: (line) => lines.push(line),
    });
    expect(result).toMatchObject({ outcome: 'succeeded', output: { pokes: 3 } });
    expect(lines.map((line) => line.line)).toEqual(['poke 1', 'poke 2', 'poke 3', '{"pokes": 3}']);
    expect(result.logTail).toEqual(['poke 2', 'poke 3', '{"pokes": 3}']);
    expect(pokesIn(counter)).toBe(3);
  });

  it('pokes a node sensor until it returns something other than false', async () => {
    const counter = counterFile();
    const request = nodeRequest(
      { export: 'countingSensor', sensor: poke() },
      { params: { counter, after: 3, value: { ready: true } } },
    );
    const result = await open().execute(request);
    expect(result).toMatchObject({ outcome: 'succeeded', output: { ready: true } });
    expect(result.logTail).toEqual(['poke 1', 'poke 2', 'poke 3']);
  });

  it('gives a null output when a node sensor returns true', async () => {
    const request = nodeRequest(
      { export: 'countingSensor', sensor: poke() },
      { params: { counter: counterFile(), after: 2 } },
    );
    expect(await open().execute(request)).toMatchObject({ outcome: 'succeeded', output: null });
  });

  it('fails with SensorTimeout, naming the task and the timeout, when the condition never holds', async () => {
    const counter = counterFile();
    const request = shellRequest(shellSensor(counter, 1_000_000), {
      id: 'wait_for_file',
      sensor: poke({ timeoutMs: 150 }),
    });
    const result = await open().execute(request);
    expect(result.outcome).toBe('failed');
    expect(result.error).toMatchObject({
      type: 'SensorTimeout',
      message:
        "task 'wait_for_file': the sensor's condition did not hold within 150ms (sensor timeout 150 ms)",
      retryable: false,
      details: { timeoutMs: 150, pokes: pokesIn(counter) },
    });
    // At least the first poke and the one at the deadline.
    expect(pokesIn(counter)).toBeGreaterThanOrEqual(2);
    expect(result.finishedAt - result.startedAt).toBeGreaterThanOrEqual(150);
  });

  it('ends skipped on timeout when the sensor soft-fails', async () => {
    const request = nodeRequest(
      { export: 'countingSensor', sensor: poke({ timeoutMs: 100, softFail: true }) },
      { params: { counter: counterFile(), after: 1_000_000 } },
    );
    const result = await open().execute(request);
    expect(result.outcome).toBe('skipped');
    expect(result.error).toMatchObject({ type: 'SensorTimeout', retryable: false });
  });

  it('stops waiting between pokes as soon as the caller cancels', async () => {
    const counter = counterFile();
    const controller = new AbortController();
    // An hour between pokes: only the cancel can end this attempt within the test timeout.
    const request = shellRequest(shellSensor(counter, 1_000_000), {
      sensor: poke({ intervalMs: 3_600_000 }),
    });
    const result = await open().execute(request, {
      signal: controller.signal,
      // The poke exits right after its one line; the abort lands while the sensor sleeps.
      onLog: () => setTimeout(() => controller.abort(), 200),
    });
    expect(result.outcome).toBe('cancelled');
    expect(result.error).toMatchObject({ type: 'CancelledError', retryable: false });
    expect(result.logTail).toEqual(['poke 1']);
    expect(pokesIn(counter)).toBe(1);
  });

  it('stops waiting between pokes when the executor closes, as a retryable cancel', async () => {
    const counter = counterFile();
    const running = open().execute(
      shellRequest(shellSensor(counter, 1_000_000), { sensor: poke({ intervalMs: 3_600_000 }) }),
    );
    while (pokesIn(counter) === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    await executor?.close();
    const result = await running;
    expect(result).toMatchObject({
      outcome: 'cancelled',
      error: { type: 'CancelledError', retryable: true },
    });
  });

  it('ends the attempt with the first poke that fails or skips', async () => {
    const counter = counterFile();
    // Not yet on the first poke, skips on the second.
    const command = `n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n + 1)); echo $n > ${counter}; [ $n -ge 2 ] && exit 99; exit 100`;
    const result = await open().execute(shellRequest(command, { sensor: poke() }));
    expect(result).toMatchObject({ outcome: 'skipped', error: { type: 'SkipTask' } });
    expect(pokesIn(counter)).toBe(2);
    const failing = await open().execute(shellRequest('exit 7', { sensor: poke() }));
    expect(failing).toMatchObject({ outcome: 'failed', error: { details: { exitCode: 7 } } });
  });

  it("ends timed_out when one poke outlives the task's own timeout", async () => {
    const request = shellRequest('sleep 100', { timeoutMs: 100, sensor: poke() });
    const result = await open().execute(request);
    expect(result).toMatchObject({ outcome: 'timed_out', error: { type: 'TimeoutError' } });
  });
});

describe('reschedule-mode sensors', () => {
  const reschedule = poke({ mode: 'reschedule' });

  it('pokes a shell sensor once and returns rescheduled while the condition does not hold', async () => {
    const counter = counterFile();
    const result = await open().execute(shellRequest(shellSensor(counter, 2), { sensor: reschedule }));
    expect(result).toMatchObject({ outcome: 'rescheduled', logTail: ['poke 1'] });
    expect(result.error).toBeUndefined();
    expect(pokesIn(counter)).toBe(1);
    const next = await executor?.execute(shellRequest(shellSensor(counter, 2), { sensor: reschedule }));
    expect(next).toMatchObject({ outcome: 'succeeded', output: { pokes: 2 } });
  });

  it('pokes a node sensor once and returns rescheduled while it returns false', async () => {
    const counter = counterFile();
    const request = nodeRequest(
      { export: 'countingSensor', sensor: reschedule },
      { params: { counter, after: 2 } },
    );
    const result = await open().execute(request);
    expect(result).toMatchObject({ outcome: 'rescheduled', logTail: ['poke 1'] });
    expect(pokesIn(counter)).toBe(1);
  });
});
