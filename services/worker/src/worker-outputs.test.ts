import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { connect } from '@nats-io/transport-node';
import { type Bus, connectBus, isOutputRef, OUTPUT_REF_KEY, type OutputRef } from '@tributary/bus';
import { encodeJson, type JsonValue } from '@tributary/core';
import { TaskOutcome, valueToJson } from '@tributary/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startNatsServer,
  type TestNatsServer,
  uniquePrefix,
} from '../../../packages/bus/src/nats-server.test-util.js';
import { compileWorkerOptions } from './options.js';
import { type RunningWorker, startWorker } from './worker.js';
import {
  bundleBytes,
  collectEvents,
  finishedEventOf,
  memoryLogger,
  outgoingTask,
} from './worker.test-util.js';

const BUNDLE = 'outputs-bundle';
const MIB = 1024 * 1024;
// Inline up to 64 KiB, fail over 3 MiB: a 2 MiB output goes to the object store.
const LIMITS = { outputInlineLimitBytes: '64KiB', outputMaxBytes: '3MiB' };

let server: TestNatsServer;
let prefix: string;
let cacheDir: string;
let bus: Bus;
let collector: ReturnType<typeof collectEvents>;
let workers: RunningWorker[];

beforeAll(async () => {
  server = await startNatsServer();
  prefix = uniquePrefix();
  cacheDir = await mkdtemp(join(tmpdir(), 'worker-outputs-test-'));
  bus = await connectBus({ servers: server.url, prefix });
  await bus.ensureTopology();
  await bus.bundles.put(
    BUNDLE,
    bundleBytes({
      'tasks.mjs': [
        "export const big = (ctx) => ({ data: 'x'.repeat(ctx.params.bytes) });",
        'export const zeros = (ctx) => new Array(ctx.params.count).fill(0);',
        'export const echo = (ctx) => ctx.params.value;',
        // What the task sees of its input: never a reference, always the value.
        'export const measure = (ctx) => ({',
        '  keys: Object.keys(ctx.inputs.big),',
        '  length: ctx.inputs.big.data.length,',
        '  small: ctx.inputs.small,',
        '});',
        'export const passOn = (ctx) => ctx.inputs.echo;',
        'export const listed = (ctx) => ctx.inputs.each;',
      ].join('\n'),
    }),
  );
  collector = collectEvents(bus);
  const start = (overrides: Parameters<typeof compileWorkerOptions>[0]) =>
    startWorker(
      compileWorkerOptions({ natsUrl: server.url, prefix, cacheDir, heartbeatIntervalMs: 200, ...overrides }),
      { logger: memoryLogger() },
    );
  workers = [await start({ ...LIMITS }), await start({ pools: ['defaults'] })];
});

afterAll(async () => {
  let open: number | undefined;
  try {
    for (const worker of workers ?? []) await worker.stop();
    await collector?.stop();
    await bus?.close();
    open = await server.connectionsSettled(0);
  } finally {
    await server.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
  expect(open).toBe(0);
}, 60_000);

function nodeTask(exportName: string) {
  return { kind: 'node', module: './tasks.mjs', export: exportName };
}

function finishedOf(runId: string, taskId: string) {
  return finishedEventOf(collector.events, runId, taskId);
}

function outputOf(finished: Awaited<ReturnType<typeof finishedOf>>): JsonValue | undefined {
  return finished.output === undefined ? undefined : valueToJson(finished.output);
}

function refOf(output: JsonValue | undefined): OutputRef {
  if (!isOutputRef(output)) throw new Error(`expected an output reference, got ${JSON.stringify(output)}`);
  return output;
}

async function rawObject(name: string): Promise<Uint8Array | null> {
  const nc = await connect({ servers: server.url });
  try {
    return await (await new Objm(jetstream(nc)).open(`${prefix}-outputs`)).getBlob(name);
  } finally {
    await nc.close();
  }
}

describe('large outputs', () => {
  it('stores a node task output over the inline limit and passes its value to a downstream task', async () => {
    const bytes = 2 * MIB;
    await bus.publishTasks([
      outgoingTask({ runId: 'big-run', taskId: 'big' }, BUNDLE, nodeTask('big'), { params: { bytes } }),
    ]);
    const finished = await finishedOf('big-run', 'big');
    expect(finished.error?.message ?? '').toBe('');
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    const ref = refOf(outputOf(finished));
    const expected = encodeJson({ data: 'x'.repeat(bytes) });
    expect(ref[OUTPUT_REF_KEY].bytes).toBe(expected.byteLength);
    expect(ref[OUTPUT_REF_KEY].object).toMatch(/^big-run\/big\/1\/[0-9a-f]{64}$/);
    // The object holds the output's JSON text, byte for byte.
    expect(Buffer.from((await rawObject(ref[OUTPUT_REF_KEY].object)) ?? []).equals(expected)).toBe(true);

    // As the coordinator does: the stored output, reference and all, becomes the downstream input.
    await bus.publishTasks([
      outgoingTask({ runId: 'big-run', taskId: 'measure' }, BUNDLE, nodeTask('measure'), {
        inputs: { big: ref, small: { n: 1 } },
      }),
    ]);
    const downstream = await finishedOf('big-run', 'measure');
    expect(downstream.error?.message ?? '').toBe('');
    expect(outputOf(downstream)).toEqual({ keys: ['data'], length: bytes, small: { n: 1 } });
  });

  it('resolves references among the elements of a list input (the outputs of a mapped task)', async () => {
    const first = await bus.outputs.put(
      { runId: 'map-run', taskId: 'each[0]', attempt: 1 },
      encodeJson('zero'),
    );
    const third = await bus.outputs.put({ runId: 'map-run', taskId: 'each[2]', attempt: 1 }, encodeJson([2]));
    await bus.publishTasks([
      outgoingTask({ runId: 'map-run', taskId: 'sum' }, BUNDLE, nodeTask('listed'), {
        inputs: { each: [first, 1, third] },
      }),
    ]);
    const finished = await finishedOf('map-run', 'sum');
    expect(finished.error?.message ?? '').toBe('');
    expect(outputOf(finished)).toEqual(['zero', 1, [2]]);
  });

  it('stores a shell task output over the inline limit', async () => {
    const bytes = 2 * MIB;
    const command = `printf '{"data":"'; head -c ${bytes} /dev/zero | tr '\\0' y; printf '"}\\n'`;
    await bus.publishTasks([
      outgoingTask({ runId: 'shell-big-run', taskId: 'dump' }, BUNDLE, { kind: 'shell', command }),
    ]);
    const finished = await finishedOf('shell-big-run', 'dump');
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    const ref = refOf(outputOf(finished));
    expect(await bus.outputs.get(ref)).toEqual({ data: 'y'.repeat(bytes) });
  });

  it('keeps an output under the inline limit inline', async () => {
    await bus.publishTasks([
      outgoingTask({ runId: 'small-run', taskId: 'echo' }, BUNDLE, nodeTask('echo'), {
        params: { value: { ok: true } },
      }),
    ]);
    expect(outputOf(await finishedOf('small-run', 'echo'))).toEqual({ ok: true });
  });

  it('fails an attempt whose output is over the hard limit with OutputTooLarge', async () => {
    await bus.publishTasks([
      outgoingTask({ runId: 'huge-run', taskId: 'huge' }, BUNDLE, nodeTask('big'), {
        params: { bytes: 4 * MIB },
      }),
    ]);
    const finished = await finishedOf('huge-run', 'huge');
    expect(finished.outcome).toBe(TaskOutcome.FAILED);
    expect(finished.output).toBeUndefined();
    expect(finished.error).toMatchObject({ type: 'OutputTooLarge', retryable: false });
    expect(finished.error?.message).toBe(
      "task 'huge' returned an output of 4.0 MiB (4194315 bytes of JSON), over the limit of 3 MiB " +
        '(3145728 bytes): return less (write bulk data to shared storage and return where it is), or ' +
        'raise TRIBUTARY_OUTPUT_MAX_BYTES on the workers (e.g. TRIBUTARY_OUTPUT_MAX_BYTES=128MiB)',
    );
  });

  it('fails an attempt whose input object is missing with OutputMissing, without running it', async () => {
    const gone: OutputRef = {
      [OUTPUT_REF_KEY]: { object: `gone-run/big/1/${'0'.repeat(64)}`, bytes: 10, sha256: '0'.repeat(64) },
    };
    await bus.publishTasks([
      outgoingTask({ runId: 'gone-run', taskId: 'measure' }, BUNDLE, nodeTask('measure'), {
        inputs: { big: gone },
      }),
    ]);
    const finished = await finishedOf('gone-run', 'measure');
    expect(finished.outcome).toBe(TaskOutcome.FAILED);
    expect(finished.error).toMatchObject({ type: 'OutputMissing', retryable: false });
    expect(finished.error?.message).toBe(
      "task 'measure' cannot get its input from upstream task 'big': the output object " +
        `gone-run/big/1/${'0'.repeat(64)} is no longer in the object store (deleted or expired); run 'big' ` +
        'again to recreate it',
    );
    const kinds = collector.events
      .filter((received) => received.event.ref?.runId === 'gone-run')
      .map((received) => received.event.event.case);
    expect(kinds).toEqual(['finished']);
  });

  it('fails an attempt whose input object does not match its reference with OutputCorrupt', async () => {
    const stored = await bus.outputs.put({ runId: 'corrupt-run', taskId: 'big', attempt: 1 }, encodeJson(1));
    const forged: OutputRef = { [OUTPUT_REF_KEY]: { ...stored[OUTPUT_REF_KEY], sha256: 'f'.repeat(64) } };
    await bus.publishTasks([
      outgoingTask({ runId: 'corrupt-run', taskId: 'measure' }, BUNDLE, nodeTask('measure'), {
        inputs: { big: forged },
      }),
    ]);
    const finished = await finishedOf('corrupt-run', 'measure');
    expect(finished.outcome).toBe(TaskOutcome.FAILED);
    expect(finished.error).toMatchObject({ type: 'OutputCorrupt', retryable: false });
    expect(finished.error?.message).toContain("upstream task 'big': output object corrupt-run/big/1/");
  });

  it('passes a returned value that looks like a reference on unchanged', async () => {
    const lookalike = { [OUTPUT_REF_KEY]: { object: 'not/mine/1/x', bytes: 3, sha256: 'a'.repeat(64) } };
    await bus.publishTasks([
      outgoingTask({ runId: 'lookalike-run', taskId: 'echo' }, BUNDLE, nodeTask('echo'), {
        params: { value: lookalike },
      }),
    ]);
    const ref = refOf(outputOf(await finishedOf('lookalike-run', 'echo')));
    expect(ref[OUTPUT_REF_KEY].object).toMatch(/^lookalike-run\/echo\/1\//);
    await bus.publishTasks([
      outgoingTask({ runId: 'lookalike-run', taskId: 'passOn' }, BUNDLE, nodeTask('passOn'), {
        inputs: { echo: ref },
      }),
    ]);
    const downstream = await finishedOf('lookalike-run', 'passOn');
    // passOn returns its input: it saw the value echo returned, which is stored again the same way.
    expect(await bus.outputs.get(refOf(outputOf(downstream)))).toEqual(lookalike);
  });

  it('stores an output under the inline limit whose event would not fit in one NATS message', async () => {
    // 150,000 zeros: about 300 KB of JSON, under the default 1 MiB inline limit, but each number takes
    // 11 bytes in protobuf, so the event would be about 1.6 MB, over nats-server's 1 MiB max_payload.
    const count = 150_000;
    await bus.publishTasks([
      outgoingTask({ runId: 'zeros-run', taskId: 'zeros' }, BUNDLE, nodeTask('zeros'), {
        pool: 'defaults',
        params: { count },
      }),
    ]);
    const finished = await finishedOf('zeros-run', 'zeros');
    expect(finished.outcome).toBe(TaskOutcome.SUCCEEDED);
    const ref = refOf(outputOf(finished));
    expect(ref[OUTPUT_REF_KEY].bytes).toBeLessThan(MIB);
    expect(await bus.outputs.get(ref)).toEqual(new Array(count).fill(0));
  });
});
