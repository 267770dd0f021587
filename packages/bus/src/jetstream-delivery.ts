import type { Msg } from '@nats-io/transport-node';
import { Code, TributaryError } from '@tributary/core';
import { TRACEPARENT_HEADER } from './codec.js';

/** What the `$JS.ACK...` reply subject of a delivery says about it. */
export interface DeliveryInfo {
  stream: string;
  consumer: string;
  /** 1 on the first delivery. */
  deliveryCount: number;
  streamSequence: number;
  /** When the message was stored in the stream: epoch ms, the NATS server's clock. */
  publishedAt: number;
}

/**
 * Parses a JetStream ack subject: `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`,
 * or the newer form with `<domain>.<account hash>` after `ACK` and a random token at the end.
 * @throws TributaryError `DataLoss` when the subject is neither.
 */
export function parseAckSubject(reply: string | undefined): DeliveryInfo {
  const tokens = (reply ?? '').split('.');
  let offset: number;
  if (tokens.length === 9) offset = 2;
  else if (tokens.length >= 11) offset = 4;
  else throw new TributaryError(Code.DataLoss, `not a JetStream delivery (reply ${JSON.stringify(reply)})`);
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK') {
    throw new TributaryError(Code.DataLoss, `not a JetStream delivery (reply ${JSON.stringify(reply)})`);
  }
  return {
    stream: tokens[offset] ?? '',
    consumer: tokens[offset + 1] ?? '',
    deliveryCount: Number(tokens[offset + 2]),
    streamSequence: Number(tokens[offset + 3]),
    publishedAt: nanosToMs(tokens[offset + 5] ?? ''),
  };
}

// The timestamp is in nanoseconds, beyond a double's exact integers: divided as a bigint.
function nanosToMs(token: string): number {
  return /^\d+$/.test(token) ? Number(BigInt(token) / 1_000_000n) : Number.NaN;
}

/** Settles one JetStream delivery. The wrapped message was pulled with our own pull requests. */
export class JetStreamDelivery {
  readonly info: DeliveryInfo;
  readonly traceparent: string | undefined;

  constructor(readonly msg: Msg) {
    this.info = parseAckSubject(msg.reply);
    const traceparent = msg.headers?.get(TRACEPARENT_HEADER);
    this.traceparent = traceparent === undefined || traceparent === '' ? undefined : traceparent;
  }

  get redelivered(): boolean {
    return this.info.deliveryCount > 1;
  }

  /** Acks without waiting for the server. */
  ack(): void {
    this.msg.respond('+ACK');
  }

  /** Asks for redelivery, after `delayMs` when given (JetStream 2.7.1+). */
  nak(delayMs?: number): void {
    if (delayMs === undefined || delayMs <= 0) this.msg.respond('-NAK');
    else this.msg.respond(`-NAK ${JSON.stringify({ delay: Math.round(delayMs) * 1_000_000 })}`);
  }

  /** Resets the ack deadline. */
  working(): void {
    this.msg.respond('+WPI');
  }

  /** Never redeliver. */
  term(): void {
    this.msg.respond('+TERM');
  }
}
