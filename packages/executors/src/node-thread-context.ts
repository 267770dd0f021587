// The thread's half of `ctx.context`: each call travels to the main thread over the task's port and
// waits for its reply there, since a pool thread reaches neither NATS nor the runner's memory.
import type { Failure, JsonValue } from '@tributary/core';
import type { RunContext } from '@tributary/sdk';
import type { ContextCall, ContextOperation, ContextReply } from './node-protocol.js';

/** A thread's `ctx.context`, and where the main thread's replies go. */
export interface ThreadRunContext {
  context: RunContext;
  /** Settles the call the reply answers. */
  onReply(reply: ContextReply): void;
}

type Answer = Extract<ContextReply, { ok: true }>;

/** A {@link RunContext} whose calls are answered by the main thread. */
export function createThreadRunContext(taskId: string, send: (call: ContextCall) => void): ThreadRunContext {
  let nextId = 1;
  const pending = new Map<number, { resolve(reply: Answer): void; reject(error: Error): void }>();
  const call = (operation: ContextOperation) =>
    new Promise<Answer>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      send({ type: 'context', id, ...operation });
    });
  const context: RunContext = {
    async get(key) {
      const reply = await call({ op: 'get', key: String(key) });
      return reply.value;
    },
    async set(key, value) {
      await call({ op: 'set', key: String(key), json: toJsonText(taskId, key, value) });
    },
    async keys() {
      const reply = await call({ op: 'keys' });
      return reply.keys ?? [];
    },
  };
  return {
    context,
    onReply(reply) {
      const waiting = pending.get(reply.id);
      if (waiting === undefined) return;
      pending.delete(reply.id);
      if (reply.ok) waiting.resolve(reply);
      else waiting.reject(toError(reply.error));
    },
  };
}

// What JSON.stringify would drop (undefined, a function) or throw on (a cycle, a bigint) is refused here,
// naming the key, rather than stored as something else.
function toJsonText(taskId: string, key: string, value: JsonValue): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(
      `task '${taskId}': context value of key '${key}' is not JSON-serialisable: ${String(error)}`,
    );
  }
  if (json === undefined) {
    throw new TypeError(`task '${taskId}': context value of key '${key}' is not JSON-serialisable`);
  }
  return json;
}

// A plain Error with the failure's type as its name: the task sees what went wrong, not a Failure object.
function toError(failure: Failure): Error {
  const error = new Error(failure.message);
  error.name = failure.type;
  return error;
}
