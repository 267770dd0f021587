import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { Code, TributaryError } from '@tributary/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLogFormat, parseLogLevel } from './log-settings.js';
import { createServiceLogger, type LogDestination, type ServiceLoggerOptions } from './service-logger.js';

/** A destination that keeps what is written, one entry per write. */
function memory(isTTY = false): LogDestination & { chunks: string[] } {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (chunk: string) => chunks.push(chunk) };
}

function jsonLogger(options: Omit<ServiceLoggerOptions, 'destination'> = {}) {
  const destination = memory();
  const logger = createServiceLogger({ format: 'json', ...options, destination });
  const entries = () => destination.chunks.map((chunk) => JSON.parse(chunk) as Record<string, unknown>);
  return { logger, destination, entries };
}

describe('createServiceLogger', () => {
  // context.active() follows async calls only once a context manager is registered, as the SDK does.
  const contextManager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('writes one JSON line per call with the level as a label, an ISO time, the message, base tags and fields', () => {
    const { logger, destination, entries } = jsonLogger({ base: { service: 'worker', workerId: 'w-1' } });
    logger.info('worker started', { pools: ['default', 'gpu'], count: 2 });
    expect(destination.chunks).toHaveLength(1);
    expect(destination.chunks[0]!.endsWith('\n')).toBe(true);
    expect(destination.chunks[0]!.split('\n')).toHaveLength(2);
    const [entry] = entries();
    expect(entry).toMatchObject({
      level: 'info',
      msg: 'worker started',
      service: 'worker',
      workerId: 'w-1',
      pools: ['default', 'gpu'],
      count: 2,
    });
    expect(entry!.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(entry).not.toHaveProperty('pid');
    expect(entry).not.toHaveProperty('trace_id');
  });

  it('keeps the type, message, stack, code and cause of errors among the fields', () => {
    const { logger, entries } = jsonLogger({ base: { service: 'coordinator' } });
    const cause = new TypeError('socket closed');
    logger.warn('tick failed', { error: new TributaryError(Code.Unavailable, 'boom', { cause }), count: 2 });
    const [entry] = entries();
    expect(entry).toMatchObject({ level: 'warn', msg: 'tick failed', service: 'coordinator', count: 2 });
    expect(entry!.error).toMatchObject({
      type: 'TributaryError',
      message: 'boom',
      code: Code.Unavailable,
      cause: { type: 'TypeError', message: 'socket closed' },
    });
    expect((entry!.error as { stack: string }).stack).toContain('TributaryError: boom');
  });

  it('tags lines with the trace id, span id and flags of the active span, and only while one is active', () => {
    const { logger, entries } = jsonLogger();
    const tracer = new BasicTracerProvider().getTracer('service-logger-test');
    const span = tracer.startSpan('task attempt');
    context.with(trace.setSpan(context.active(), span), () => logger.info('inside'));
    span.end();
    logger.info('outside');
    const [inside, outside] = entries();
    const { traceId, spanId } = span.spanContext();
    expect(inside).toMatchObject({ msg: 'inside', trace_id: traceId, span_id: spanId, trace_flags: '01' });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(outside!.msg).toBe('outside');
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
    expect(outside).not.toHaveProperty('trace_flags');
  });

  it('keeps the trace ids across an await inside the span', async () => {
    const { logger, entries } = jsonLogger();
    const tracer = new BasicTracerProvider().getTracer('service-logger-test');
    const traceId = await tracer.startActiveSpan('execution', async (span) => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.info('after await');
      span.end();
      return span.spanContext().traceId;
    });
    expect(entries()[0]).toMatchObject({ msg: 'after await', trace_id: traceId });
  });

  it('drops lines below the configured level', () => {
    const { logger, entries } = jsonLogger({ level: 'warn' });
    logger.debug('detail');
    logger.info('progress');
    logger.warn('slow');
    logger.error('broken');
    expect(entries().map((entry) => [entry.level, entry.msg])).toEqual([
      ['warn', 'slow'],
      ['error', 'broken'],
    ]);
  });

  it('logs at info and above by default, and debug lines once the level is debug', () => {
    const quiet = jsonLogger();
    quiet.logger.debug('detail');
    quiet.logger.info('progress');
    expect(quiet.entries().map((entry) => entry.msg)).toEqual(['progress']);
    const chatty = jsonLogger({ level: 'debug' });
    chatty.logger.debug('detail', { step: 1 });
    expect(chatty.entries()).toMatchObject([{ level: 'debug', msg: 'detail', step: 1 }]);
  });

  it('writes readable text instead of JSON in the pretty format', () => {
    const destination = memory();
    const logger = createServiceLogger({ base: { service: 'coordinator' }, format: 'pretty', destination });
    logger.warn('coordinator started', { listen: '127.0.0.1:7070' });
    expect(destination.chunks).toHaveLength(1);
    const text = destination.chunks[0]!;
    expect(text).toContain('WARN');
    expect(text).toContain('coordinator started');
    expect(text).toContain('127.0.0.1:7070');
    expect(text).not.toContain('{');
    expect(text).not.toContain('"msg"');
    // Not a terminal: no colour escapes in a file or pipe.
    expect(text).not.toContain('\u001b[');
  });

  it('chooses the pretty format for a terminal and JSON otherwise when none is set', () => {
    const terminal = memory(true);
    createServiceLogger({ destination: terminal }).info('to a person');
    expect(terminal.chunks[0]).toContain('to a person');
    expect(() => JSON.parse(terminal.chunks[0]!)).toThrow();
    const pipe = memory(false);
    createServiceLogger({ destination: pipe }).info('to a machine');
    expect(JSON.parse(pipe.chunks[0]!)).toMatchObject({ msg: 'to a machine' });
  });

  it('lets a set format win over the terminal check', () => {
    const terminal = memory(true);
    createServiceLogger({ destination: terminal, format: 'json' }).info('forced');
    expect(JSON.parse(terminal.chunks[0]!)).toMatchObject({ level: 'info', msg: 'forced' });
  });
});

describe('parseLogLevel and parseLogFormat', () => {
  it('accept the allowed values and read empty as unset', () => {
    expect(parseLogLevel('debug', 'TRIBUTARY_LOG_LEVEL')).toBe('debug');
    expect(parseLogLevel('error', 'TRIBUTARY_LOG_LEVEL')).toBe('error');
    expect(parseLogLevel(undefined, 'TRIBUTARY_LOG_LEVEL')).toBeUndefined();
    expect(parseLogLevel('', 'TRIBUTARY_LOG_LEVEL')).toBeUndefined();
    expect(parseLogFormat('json', 'TRIBUTARY_LOG_FORMAT')).toBe('json');
    expect(parseLogFormat('pretty', 'TRIBUTARY_LOG_FORMAT')).toBe('pretty');
    expect(parseLogFormat(undefined, 'TRIBUTARY_LOG_FORMAT')).toBeUndefined();
  });

  it('reject anything else, naming where the value came from and the allowed values', () => {
    expect(() => parseLogLevel('verbose', 'TRIBUTARY_LOG_LEVEL')).toThrow(
      "TRIBUTARY_LOG_LEVEL must be one of 'debug', 'info', 'warn', 'error', got 'verbose'",
    );
    expect(() => parseLogLevel('INFO', 'logLevel')).toThrow(
      "logLevel must be one of 'debug', 'info', 'warn', 'error', got 'INFO'",
    );
    expect(() => parseLogFormat('xml', 'TRIBUTARY_LOG_FORMAT')).toThrow(
      "TRIBUTARY_LOG_FORMAT must be one of 'json', 'pretty', got 'xml'",
    );
    expect(() => parseLogFormat(3, 'logFormat')).toThrow("logFormat must be one of 'json', 'pretty', got 3");
  });

  it('throw an InvalidArgument TributaryError with the problem attached', () => {
    let thrown: unknown;
    try {
      parseLogFormat('yaml', 'TRIBUTARY_LOG_FORMAT');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TributaryError);
    expect((thrown as TributaryError).code).toBe(Code.InvalidArgument);
    expect((thrown as TributaryError).problems[0]?.field).toBe('TRIBUTARY_LOG_FORMAT');
  });
});
