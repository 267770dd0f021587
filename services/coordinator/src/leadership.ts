import { randomUUID } from 'node:crypto';
import type { Logger } from '@tributary/core';
import { claimLease, endSessionsBlockingExpiredLease, type LeaseHolder, releaseLease } from '@tributary/db';
import type { Sql } from 'postgres';
import { every } from './sleep.js';

/** The lease every coordinator of an installation competes for. */
export const LEADER_LEASE = 'leader';

/** A term of leadership: its epoch fences every write made during it. */
export interface Term {
  session: string;
  epoch: number;
}

export interface LeadershipOptions {
  sql: Sql;
  /** Stable across restarts on the same host and address, so a restarted leader takes its lease back. */
  identity: string;
  /** This coordinator's gRPC address, where followers forward writes. */
  address: string;
  /** How long a claim holds without renewal. */
  ttlMs: number;
  logger: Logger;
  /** Called when this coordinator becomes the leader; the term's work starts here. */
  onElected(term: Term): Promise<void>;
  /** Called when it stops being the leader (lease lost, or renewals failed for a whole TTL). */
  onDeposed(): Promise<void>;
}

/**
 * Competes for the leader lease in Postgres and tracks who holds it. The leader renews its claim three
 * times per TTL; a follower claims it once it has expired. A leader that cannot renew for a whole TTL
 * (Postgres unreachable, the process paused) deposes itself: by then another may hold the lease, and
 * the epoch check of every run loop transaction has already stopped its writes.
 */
export class Leadership {
  readonly session = randomUUID();
  readonly #options: LeadershipOptions;
  #term: Term | null = null;
  /** Until when (performance.now()) this leader's last successful claim is surely still valid. */
  #validUntil = 0;
  #holder: LeaseHolder | null = null;
  #transition: Promise<void> = Promise.resolve();

  constructor(options: LeadershipOptions) {
    this.#options = options;
  }

  /** The current term when this coordinator leads; null otherwise. */
  get term(): Term | null {
    return this.#term;
  }

  /** Where the leader serves, as last read; null while nobody holds the lease. */
  get leaderAddress(): string | null {
    const holder = this.#holder;
    return holder !== null && holder.expiresAt.getTime() > Date.now() ? holder.address : null;
  }

  /** Claims or renews once, and starts or ends the term accordingly. */
  async claim(): Promise<void> {
    const { sql, identity, address, ttlMs, logger } = this.#options;
    const askedAt = performance.now();
    try {
      this.#holder = await claimLease(sql, {
        name: LEADER_LEASE,
        holder: identity,
        session: this.session,
        address,
        ttlMs,
      });
    } catch (error) {
      logger.warn('claiming the leader lease failed', { error: String(error) });
      if (this.#term !== null && performance.now() > this.#validUntil) await this.#depose('renewals failed');
      if (isLockTimeout(error)) await this.#breakFrozenLeader();
      return;
    }
    const holder = this.#holder;
    if (holder.session === this.session) {
      // Measured from before the claim was sent: the lease surely holds that long, with a margin.
      this.#validUntil = askedAt + ttlMs * 0.8;
      if (this.#term === null) await this.#elect({ session: this.session, epoch: holder.epoch });
    } else if (this.#term !== null) {
      await this.#depose(`the lease went to ${holder.holder}`);
    }
  }

  /**
   * The leader's run loop renewed the lease inside a committed transaction that began at `from`
   * (performance.now()): while the loop holds the lease row locked, the claim loop's own renewals wait
   * and may time out, and this keeps the term valid meanwhile.
   */
  renewed(from: number): void {
    if (this.#term !== null) this.#validUntil = Math.max(this.#validUntil, from + this.#options.ttlMs * 0.8);
  }

  /** Claims every third of a TTL until `signal` aborts. */
  run(signal: AbortSignal): Promise<void> {
    return every(
      Math.max(100, Math.floor(this.#options.ttlMs / 3)),
      signal,
      () => this.claim(),
      (error) => this.#options.logger.warn('leadership', { error: String(error) }),
    );
  }

  /** Ends the term, if any, and gives the lease up so that another coordinator takes over at once. */
  async release(): Promise<void> {
    if (this.#term === null) return;
    await this.#depose('stopping');
    try {
      await releaseLease(this.#options.sql, LEADER_LEASE, this.session);
    } catch (error) {
      this.#options.logger.warn('releasing the leader lease failed', { error: String(error) });
    }
  }

  /** The lease row stayed locked past the claim's lock timeout: end the sessions of a frozen, expired leader. */
  async #breakFrozenLeader(): Promise<void> {
    try {
      const ended = await endSessionsBlockingExpiredLease(this.#options.sql, LEADER_LEASE);
      if (ended > 0) this.#options.logger.warn('ended database sessions of an expired leader', { ended });
    } catch (error) {
      this.#options.logger.warn('ending an expired leader sessions failed', { error: String(error) });
    }
  }

  async #elect(term: Term): Promise<void> {
    this.#term = term;
    this.#options.logger.info('elected leader', { epoch: term.epoch });
    this.#transition = this.#transition.then(() => this.#options.onElected(term));
    await this.#transition;
  }

  async #depose(why: string): Promise<void> {
    if (this.#term === null) return;
    this.#options.logger.warn('no longer the leader', { why, epoch: this.#term.epoch });
    this.#term = null;
    this.#transition = this.#transition.then(() => this.#options.onDeposed());
    await this.#transition;
  }
}

/** Postgres's `lock_not_available`, raised when `lock_timeout` passes. */
function isLockTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '55P03';
}
