import { openTransport, type Transport } from '@tributary/client';
import { Code, TributaryError } from '@tributary/core';
import type { ActiveRuns } from '../active-runs.js';
import type { AfterIndex } from '../after-index.js';
import type { RunLoop } from '../run-loop.js';

/** The leader's own run loop and run cache, while this coordinator leads. */
export interface LocalTerm {
  loop: RunLoop;
  runs: ActiveRuns;
  afterIndex: AfterIndex;
}

/** Where a call that changes state goes: this coordinator's run loop, or the leader's API. */
export type WriteTarget = { local: LocalTerm } | { remote: Transport };

const POLL_MS = 100;

/**
 * Routes state-changing API calls to the one run loop of the installation: this coordinator's while it
 * leads, else the leader's, whose address the lease names. Between leaders (a failover), a call waits up
 * to `waitMs` for one to be elected before it fails `UNAVAILABLE`.
 */
export class WriteRoute {
  #term: LocalTerm | null = null;
  readonly #transports = new Map<string, Transport>();

  /**
   * @param leaderAddress where the leader serves, as the lease says (null while nobody holds it)
   * @param ownAddress this coordinator's: a lease still naming it after it stopped leading names nobody
   */
  constructor(
    private readonly leaderAddress: () => string | null,
    private readonly ownAddress: () => string,
    private readonly waitMs: number,
  ) {}

  /** This coordinator leads now: writes go to its run loop. */
  lead(term: LocalTerm): void {
    this.#term = term;
  }

  /** This coordinator no longer leads: writes go to whoever does. */
  follow(): void {
    this.#term = null;
  }

  /** This coordinator's term while it leads, else null; never waits. */
  get localTerm(): LocalTerm | null {
    return this.#term;
  }

  async target(): Promise<WriteTarget> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      if (this.#term !== null) return { local: this.#term };
      const address = this.leaderAddress();
      if (address !== null && address !== this.ownAddress()) return { remote: this.#transportTo(address) };
      if (Date.now() >= deadline) {
        throw new TributaryError(
          Code.Unavailable,
          `no coordinator leads yet (waited ${this.waitMs}ms for one to take the lease); try again`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  close(): void {
    for (const transport of this.#transports.values()) transport.close();
    this.#transports.clear();
  }

  #transportTo(address: string): Transport {
    let transport = this.#transports.get(address);
    if (transport === undefined) {
      transport = openTransport(address);
      this.#transports.set(address, transport);
    }
    return transport;
  }
}
