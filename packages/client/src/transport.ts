import type { MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { context, propagation } from '@opentelemetry/api';
import { Code, TributaryError } from '@tributary/core';
import {
  errorFromStatus,
  grpcServiceDefinition,
  MAX_MESSAGE_BYTES,
  TributaryService,
} from '@tributary/proto';

type Methods = typeof TributaryService.method;
type MethodName<Kind extends string> = {
  [K in keyof Methods]: Methods[K]['methodKind'] extends Kind ? K : never;
}[keyof Methods];

/** A unary method of `TributaryService`, by local name. */
export type UnaryMethod = MethodName<'unary'>;
/** A server-streaming method of `TributaryService`, by local name. */
export type StreamingMethod = MethodName<'server_streaming'>;
/** The request a method accepts (message or init object). */
export type RequestOf<K extends keyof Methods> = MessageInitShape<Methods[K]['input']>;
/** The response message of a method. */
export type ResponseOf<K extends keyof Methods> = MessageShape<Methods[K]['output']>;

const DEFINITION = grpcServiceDefinition(TributaryService);

function definitionOf(name: keyof Methods): grpc.MethodDefinition<unknown, unknown> {
  const method = DEFINITION[name];
  if (method === undefined) throw new Error(`TributaryService has no method ${name}`);
  return method as grpc.MethodDefinition<unknown, unknown>;
}

/**
 * Typed calls over one grpc-js channel, with every failure turned into a `TributaryError` whose
 * message names the address when the server cannot be reached.
 */
export class Transport {
  readonly #client: grpc.Client;
  readonly #address: string;
  #closed = false;

  constructor(client: grpc.Client, address: string) {
    this.#client = client;
    this.#address = address;
  }

  /**
   * Makes a unary call of `TributaryService`, in the trace of `traceparent` or of the caller's active span
   * (a run triggered from a traced program joins its trace).
   */
  unary<K extends UnaryMethod>(name: K, request: RequestOf<K>, traceparent?: string): Promise<ResponseOf<K>> {
    return this.call(definitionOf(name), request, traceMetadata(traceparent)) as Promise<ResponseOf<K>>;
  }

  /** Makes any unary call on the channel (e.g. the health check). */
  call<I, O>(
    method: grpc.MethodDefinition<I, O>,
    request: I,
    metadata: grpc.Metadata = new grpc.Metadata(),
  ): Promise<O> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(closedError());
      this.#client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        (error, response) => (error ? reject(this.toError(error)) : resolve(response as O)),
      );
    });
  }

  /** Starts a server-streaming call of `TributaryService`; read it with `for await`. */
  stream<K extends StreamingMethod>(
    name: K,
    request: RequestOf<K>,
  ): grpc.ClientReadableStream<ResponseOf<K>> {
    if (this.#closed) throw closedError();
    const method = definitionOf(name);
    return this.#client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      traceMetadata(),
    ) as grpc.ClientReadableStream<ResponseOf<K>>;
  }

  /** Maps a failed call's status (or anything else thrown by grpc-js) to a `TributaryError`. */
  toError(error: unknown): TributaryError {
    if (!isServiceError(error)) return TributaryError.from(error);
    if (error.code === grpc.status.UNAVAILABLE) {
      return errorFromStatus(
        error,
        `could not reach the Tributary server at ${this.#address}: ${error.details}`,
      );
    }
    return errorFromStatus(error);
  }

  /** Closes the channel; later calls fail with `FailedPrecondition`. */
  close(): void {
    this.#closed = true;
    this.#client.close();
  }
}

/**
 * A channel to the API at `address`, with typed calls. Programs use {@link createClient}; this serves one
 * that relays raw requests (a coordinator forwarding writes to its leader).
 */
export function openTransport(
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Transport {
  const channel = new grpc.Client(address, credentials, {
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  });
  return new Transport(channel, address);
}

/**
 * Call metadata carrying the W3C trace context: `traceparent` when given, else whatever the program's
 * registered OpenTelemetry propagator injects for its active span (nothing without an SDK).
 */
function traceMetadata(traceparent?: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (traceparent !== undefined) {
    metadata.set('traceparent', traceparent);
    return metadata;
  }
  propagation.inject(context.active(), metadata, {
    set: (carrier, key, value) => carrier.set(key, value),
  });
  return metadata;
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return (
    error instanceof Error &&
    typeof (error as grpc.ServiceError).code === 'number' &&
    typeof (error as grpc.ServiceError).details === 'string'
  );
}

function closedError(): TributaryError {
  return new TributaryError(Code.FailedPrecondition, 'the Tributary client is closed');
}
