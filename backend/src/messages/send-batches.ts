/**
 * Group commit for sends. A send that finds fewer than `maxInFlight` statements on their way to
 * PostgreSQL goes at once, alone, as it always did; the sends that arrive while that many are out wait
 * and then go together, as one statement and one transaction. A good part of PostgreSQL's work per
 * send is the statement and the commit around `send_message` (a round trip, a snapshot, a WAL flush, a
 * wake-up), and a batch pays them once for all its sends (docs/performance.md has the figures). An idle
 * server never waits for a batch to fill, so a send's latency only changes when sends already queue.
 *
 * A batch is all or nothing in PostgreSQL, but not for its senders: if its statement fails (a
 * concurrent send with the same clientId raising IR409, a deadlock, a lock wait past the batch's
 * lock_timeout), every send of it runs again alone (`again`), so each gets the answer or the error it
 * would have had by itself: one at a time per conversation, in their order, the conversations side by
 * side. That is safe because the failed batch wrote nothing; if it did commit and only its answer was
 * lost, each send comes back `replayed` by its clientId, and `again` knows its own row.
 *
 * The batch goes in the order of its conversations (arrival order within one): sends lock their pair
 * and conversation rows, so two batches (two workers) that took the same conversations in different
 * orders could deadlock. A transaction that locks several conversations in another order (an erasure;
 * the sweep deleting a message that a reply in the batch points at) still can: PostgreSQL ends one
 * side after deadlock_timeout, and if it is the batch, its sends go again alone as above.
 */
export interface SendBatchRunner<P, R> {
  /** One send, as its own statement: how a lone send goes, and how each send of a failed batch is retried. */
  one(params: P): Promise<R>;
  /** Several sends in one statement, their answers in the same order. */
  many(params: P[]): Promise<R[]>;
  /** One send of a failed batch, alone (`one` if not given). */
  again?(params: P): Promise<R>;
}

export interface SendBatchLimits {
  /** Statements out at once before sends start to wait: leaves the pool's other connections to reads. */
  readonly maxInFlight: number;
  /** Sends in one statement at most, to bound the time its locks are held and its JSON parameter. */
  readonly maxBatch: number;
  /**
   * After this long out, a statement no longer counts against maxInFlight: one that waits on a lock
   * held elsewhere (by an erasure, or a batch that waits itself) must not make every later send wait.
   */
  readonly slowMs: number;
  /**
   * Send only at the end of the event loop's turn (setImmediate), with every send that came in the
   * same turn. For a database that runs on this thread (PGlite): its statement is done before the
   * next request is even read, so no send would ever find another one out to wait behind.
   */
  readonly gatherTurn: boolean;
}

interface Waiting<P, R> {
  readonly params: P;
  readonly key: string;
  readonly resolve: (row: R) => void;
  readonly reject: (error: unknown) => void;
}

export class SendBatches<P, R> {
  private readonly waiting: Waiting<P, R>[] = [];
  private inFlight = 0;
  private drainScheduled = false;

  constructor(
    private readonly runner: SendBatchRunner<P, R>,
    private readonly limits: SendBatchLimits,
    /** The lock order: the conversation a send writes to. */
    private readonly keyOf: (params: P) => string,
  ) {}

  send(params: P): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ params, key: this.keyOf(params), resolve, reject });
      if (!this.limits.gatherTurn) return this.drain();
      if (this.drainScheduled) return;
      this.drainScheduled = true;
      setImmediate(() => {
        this.drainScheduled = false;
        this.drain();
      });
    });
  }

  private drain(): void {
    while (this.inFlight < this.limits.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.limits.maxBatch);
      this.inFlight++;
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        this.inFlight--;
        this.drain();
      };
      // A statement that is slow to come back (waiting on a lock) stops counting, so that sends to
      // other conversations do not queue behind it.
      const slow = setTimeout(release, this.limits.slowMs);
      void this.run(batch).finally(() => {
        clearTimeout(slow);
        release();
      });
    }
  }

  private async run(batch: Waiting<P, R>[]): Promise<void> {
    if (batch.length === 1) return settle(batch[0], () => this.runner.one(batch[0].params));
    // Array.prototype.sort is stable: two sends to one conversation keep their order.
    const ordered = [...batch].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let rows: R[];
    try {
      rows = await this.runner.many(ordered.map((send) => send.params));
      if (rows.length !== ordered.length) throw new Error(`${rows.length} answers to a batch of ${ordered.length} sends`);
    } catch {
      const again = (params: P) => (this.runner.again ?? this.runner.one).call(this.runner, params);
      const byKey = new Map<string, Waiting<P, R>[]>();
      for (const send of ordered) byKey.set(send.key, [...(byKey.get(send.key) ?? []), send]);
      await Promise.all(
        [...byKey.values()].map(async (sends) => {
          for (const send of sends) await settle(send, () => again(send.params));
        }),
      );
      return;
    }
    ordered.forEach((send, index) => send.resolve(rows[index]));
  }
}

async function settle<P, R>(send: Waiting<P, R>, work: () => Promise<R>): Promise<void> {
  try {
    send.resolve(await work());
  } catch (error) {
    send.reject(error);
  }
}
