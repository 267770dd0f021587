import {
  create,
  type DescMessage,
  type DescMethod,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type * as grpc from '@grpc/grpc-js';
import { errorToStatus } from './grpc-status.js';

/**
 * The largest message either side sends or accepts: DAG bundles travel in one `RegisterDag` call.
 * Pass it as `grpc.max_send_message_length` and `grpc.max_receive_message_length`.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Turns a protoc-gen-es service descriptor (e.g. `TributaryService`) into a grpc-js service definition,
 * keyed by each method's local name (`registerDag`), with binary protobuf (de)serialisation. Only
 * unary and server-streaming methods are supported.
 */
export function grpcServiceDefinition(service: AnyService): grpc.ServiceDefinition {
  return Object.fromEntries(
    service.methods.map((method) => [method.localName, grpcMethodDefinition(method)]),
  );
}

/** One grpc-js method definition (path `/pkg.Service/Method`) for a protobuf-es method descriptor. */
export function grpcMethodDefinition(method: DescMethod): grpc.MethodDefinition<unknown, unknown> {
  if (method.methodKind !== 'unary' && method.methodKind !== 'server_streaming') {
    throw new Error(
      `${method.parent.typeName}.${method.name}: ${method.methodKind} methods are not supported`,
    );
  }
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    originalName: method.name,
    requestStream: false,
    responseStream: method.methodKind === 'server_streaming',
    requestSerialize: serializer(method.input),
    requestDeserialize: deserializer(method.input),
    responseSerialize: serializer(method.output),
    responseDeserialize: deserializer(method.output),
  };
}

function serializer(schema: DescMessage): (value: unknown) => Buffer {
  // create() returns a message of this schema unchanged and fills defaults into a plain init object,
  // so handlers may return either.
  return (value) => {
    const message = create(schema, value as MessageInitShape<DescMessage>);
    const bytes = toBinary(schema, message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer(schema: DescMessage): (bytes: Buffer) => unknown {
  return (bytes) => fromBinary(schema, bytes);
}

/** A unary method's implementation: the response, as a message or an init object. */
export type UnaryImplementation<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  call: grpc.ServerUnaryCall<MessageShape<I>, MessageShape<O>>,
  signal: AbortSignal,
) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

/**
 * A server-streaming method's implementation: the responses, in order. The iterable is written with
 * backpressure; when the client goes away, `signal` aborts and iteration stops (`return()` runs the
 * generator's `finally`). A generator waiting on something other than its next `yield` should watch
 * `signal`, since `return()` cannot interrupt an `await`.
 */
export type ServerStreamingImplementation<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  call: grpc.ServerWritableStream<MessageShape<I>, MessageShape<O>>,
  signal: AbortSignal,
) => AsyncIterable<MessageInitShape<O>>;

/** The implementation type of one method descriptor: unary or server-streaming. */
export type MethodImplementation<M> = M extends {
  methodKind: 'unary';
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? UnaryImplementation<I, O>
  : M extends {
        methodKind: 'server_streaming';
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? ServerStreamingImplementation<I, O>
    : never;

/**
 * A typed implementation of every method of a protoc-gen-es service, keyed by local name:
 * `ServiceImplementation<typeof TributaryService>`.
 */
export type ServiceImplementation<S extends AnyService> = {
  [K in keyof S['method']]: MethodImplementation<S['method'][K]>;
};

/** Any protoc-gen-es service descriptor. */
export type AnyService = GenService<GenServiceMethods>;

/** Options of {@link grpcHandlers}. */
export interface GrpcHandlersOptions {
  /**
   * Called with every error that is not a `TributaryError` (a bug: it is sent as `INTERNAL`) and the
   * method's local name. Packages do not log to the console; pass your logger here.
   * @default ignore
   */
  onInternalError?: (error: unknown, method: string) => void;
}

/**
 * Adapts a typed {@link ServiceImplementation} to grpc-js handlers for the definition made by
 * {@link grpcServiceDefinition}: awaits unary results, streams async iterables with backpressure,
 * stops on client cancellation and maps thrown errors to gRPC statuses (see `errorToStatus`).
 */
export function grpcHandlers<S extends AnyService>(
  service: S,
  implementation: ServiceImplementation<S>,
  options: GrpcHandlersOptions = {},
): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  const impl = implementation as Record<string, (...args: never[]) => unknown>;
  for (const method of service.methods) {
    const fn = impl[method.localName];
    if (fn === undefined) throw new Error(`no implementation for ${method.parent.typeName}.${method.name}`);
    const onError = (error: unknown) => options.onInternalError?.(error, method.localName);
    handlers[method.localName] =
      method.methodKind === 'server_streaming'
        ? streamingHandler(fn as ServerStreamingImplementation<DescMessage, DescMessage>, onError)
        : unaryHandler(fn as UnaryImplementation<DescMessage, DescMessage>, onError);
  }
  return handlers;
}

function unaryHandler(
  fn: UnaryImplementation<DescMessage, DescMessage>,
  onError: (error: unknown) => void,
): grpc.handleUnaryCall<MessageShape<DescMessage>, unknown> {
  return (call, callback) => {
    const signal = cancellationSignal(call);
    // The promise never rejects: both outcomes end in the callback.
    void (async () => {
      try {
        callback(null, await fn(call.request, call, signal));
      } catch (error) {
        callback(errorToStatus(error, onError));
      }
    })();
  };
}

function streamingHandler(
  fn: ServerStreamingImplementation<DescMessage, DescMessage>,
  onError: (error: unknown) => void,
): grpc.handleServerStreamingCall<MessageShape<DescMessage>, unknown> {
  return (call) => {
    const signal = cancellationSignal(call);
    // The promise never rejects: every outcome ends the call with a status.
    void (async () => {
      try {
        for await (const message of fn(call.request, call, signal)) {
          if (signal.aborted) break;
          // write() returning false asks us to wait for 'drain' (or the client leaving).
          if (!call.write(message)) await drained(call, signal);
          if (signal.aborted) break;
        }
        if (!signal.aborted) call.end();
      } catch (error) {
        // Mapped (and a bug reported) even when nobody is left to receive the status.
        const status = errorToStatus(error, onError);
        if (!signal.aborted) call.emit('error', status);
      }
    })();
  };
}

/** An AbortSignal that aborts when grpc-js reports the call cancelled (client cancel, deadline, reset). */
function cancellationSignal(call: grpc.ServerUnaryCall<unknown, unknown>): AbortSignal {
  const controller = new AbortController();
  if (call.cancelled) controller.abort();
  else call.once('cancelled', () => controller.abort());
  return controller.signal;
}

function drained(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done);
  });
}
