// The main thread's end of the pool threads' ports: each thread opens one port on its first task (see
// mainPort in node-thread.ts), and every message on it names the attempt it is about.
import type { MessagePort } from 'node:worker_threads';
import type { NodePool } from './node-pool.js';
import { THREAD_PORT_MESSAGE, type ThreadMessage, type ThreadPortMessage } from './node-protocol.js';

/** A pool thread, as its port handover names it. */
export interface ThreadLink {
  /** Where the main thread's messages for the thread's attempt go. */
  port: MessagePort;
  threadId: number;
}

/** Receives one attempt's messages, in the order the thread posted them, and the thread they came from. */
export type AttemptListener = (message: ThreadMessage, thread: ThreadLink) => void;

/** Routes the messages of a pool's threads to the attempts they are about. */
export interface ThreadPorts {
  /** Registers an attempt and returns the id its task must carry; messages for it go to `listener`. */
  open(listener: AttemptListener): number;
  /** Forgets an attempt: messages that still arrive for it are dropped. */
  forget(attemptId: number): void;
  /** Closes every port; call after the pool's threads have ended. */
  close(): void;
}

/** Listens on `pool` for its threads' ports and routes what arrives on them. */
export function createThreadPorts(pool: NodePool): ThreadPorts {
  const ports = new Set<MessagePort>();
  const listeners = new Map<number, AttemptListener>();
  let nextId = 1;
  pool.onThreadMessage((message: unknown) => {
    if (!isThreadPortMessage(message)) return;
    const { port } = message;
    const thread: ThreadLink = { port, threadId: message.threadId };
    ports.add(port);
    port.on('message', (threadMessage: ThreadMessage) => {
      listeners.get(threadMessage.attemptId)?.(threadMessage, thread);
    });
    // A thread ended by piscina (idle, killed) closes its end, and so this one.
    port.once('close', () => ports.delete(port));
    // Like piscina's own ports: a running task keeps the process alive through its thread, not this port.
    port.unref();
  });
  return {
    open(listener) {
      const attemptId = nextId++;
      listeners.set(attemptId, listener);
      return attemptId;
    },
    forget(attemptId) {
      listeners.delete(attemptId);
    },
    close() {
      for (const port of ports) port.close();
      ports.clear();
      listeners.clear();
    },
  };
}

function isThreadPortMessage(message: unknown): message is ThreadPortMessage {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === THREAD_PORT_MESSAGE
  );
}
