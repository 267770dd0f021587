// The main thread's half of `ctx.context`: answers a pool thread's calls from the attempt's store.
import { type JsonValue, toFailure } from '@tributary/core';
import type { ContextCall, ContextReply } from './node-protocol.js';
import { assertContextKey, checkContextValue, missingContextStore } from './run-context.js';
import type { RunContextStore } from './types.js';

/**
 * Carries out one context call and returns its reply; never rejects. Keys and value sizes are checked
 * here, on the main thread, so that every store (memory, NATS KV) receives only valid ones.
 */
export async function answerContextCall(
  store: RunContextStore | undefined,
  taskId: string,
  call: ContextCall,
): Promise<ContextReply> {
  try {
    if (store === undefined) throw missingContextStore(taskId);
    switch (call.op) {
      case 'get': {
        assertContextKey(call.key, taskId);
        const value = await store.get(call.key);
        return value === undefined ? { type: 'context', id: call.id, ok: true } : reply(call.id, { value });
      }
      case 'set': {
        assertContextKey(call.key, taskId);
        checkContextValue(call.key, call.json, taskId);
        await store.set(call.key, JSON.parse(call.json) as JsonValue);
        return reply(call.id, {});
      }
      case 'keys':
        return reply(call.id, { keys: (await store.keys()).sort() });
    }
  } catch (error) {
    return { type: 'context', id: call.id, ok: false, error: toFailure(error) };
  }
}

function reply(id: number, fields: { value?: JsonValue; keys?: string[] }): ContextReply {
  return { type: 'context', id, ok: true, ...fields };
}
