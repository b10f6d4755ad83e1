import { SHARED_ANSWER, SHARED_REQUEST, type SharedAnswer, type SharedOp, type SharedOps, type SharedRequest } from '../common/primary-channel.js';
import { MemoryRateLimitStore } from '../common/rate-limit-windows.js';

type Handlers = { [K in SharedOp]: (workerId: number, ...args: SharedOps[K]['args']) => SharedOps[K]['result'] | Promise<SharedOps[K]['result']> };

/**
 * What the workers of one instance share when there is no Redis, kept in the primary and changed
 * only by messages from the workers, one at a time: the rate-limit windows, who is online (by worker,
 * so a dead worker's sockets can be forgotten), and the open sockets per client address.
 */
export class SharedState {
  private readonly windows = new MemoryRateLimitStore();
  /** user id → socket id → the worker holding it. */
  private readonly sockets = new Map<string, Map<string, number>>();
  /** Users whose last socket was on a worker that went away; the next upkeep of any worker tells their friends. */
  private readonly wentOffline = new Set<string>();
  /** client address → worker → open sockets. */
  private readonly addresses = new Map<string, Map<number, number>>();

  private readonly handlers: Handlers = {
    'rate.hit': (_worker, key, windowMs, now) => this.windows.hit(key, windowMs, now),
    'rate.peek': (_worker, key, now) => this.windows.peek(key, now),
    'rate.reset': async (_worker, key) => {
      await this.windows.reset(key);
      return null;
    },
    'presence.connect': (worker, userId, socketId) => {
      const mine = this.sockets.get(userId);
      if (mine) {
        mine.set(socketId, worker);
        return false;
      }
      this.sockets.set(userId, new Map([[socketId, worker]]));
      return true;
    },
    'presence.disconnect': (_worker, userId, socketId) => {
      const mine = this.sockets.get(userId);
      if (!mine?.delete(socketId) || mine.size > 0) return false;
      this.sockets.delete(userId);
      return true;
    },
    'presence.online': (_worker, userIds) => userIds.filter((id) => this.sockets.has(id)),
    'presence.maintain': () => {
      const offline = [...this.wentOffline].filter((id) => !this.sockets.has(id));
      this.wentOffline.clear();
      return offline;
    },
    'presence.close': (worker) => {
      this.forgetSockets(worker);
      return null;
    },
    'sockets.count': (_worker, address) => {
      let open = 0;
      for (const count of this.addresses.get(address)?.values() ?? []) open += count;
      return open;
    },
    'sockets.opened': (worker, address) => {
      const byWorker = this.addresses.get(address) ?? new Map<number, number>();
      byWorker.set(worker, (byWorker.get(worker) ?? 0) + 1);
      this.addresses.set(address, byWorker);
      return null;
    },
    'sockets.closed': (worker, address) => {
      const byWorker = this.addresses.get(address);
      const left = (byWorker?.get(worker) ?? 1) - 1;
      if (left > 0) byWorker!.set(worker, left);
      else byWorker?.delete(worker);
      if (byWorker?.size === 0) this.addresses.delete(address);
      return null;
    },
  };

  /** Answers one worker's message when it is a request for shared state; false for any other message. */
  handle(workerId: number, message: unknown, reply: (answer: SharedAnswer) => void): boolean {
    const request = message as Partial<SharedRequest> | null;
    if (request?.type !== SHARED_REQUEST || !request.op || !(request.op in this.handlers)) return false;
    const { id, op, args = [] } = request as SharedRequest;
    const handler = this.handlers[op] as (workerId: number, ...args: unknown[]) => unknown;
    Promise.resolve()
      .then(() => handler(workerId, ...(args as unknown[])))
      .then(
        (result) => id !== undefined && reply({ type: SHARED_ANSWER, id, result }),
        (error: Error) => id !== undefined && reply({ type: SHARED_ANSWER, id, error: error.message }),
      );
    return true;
  }

  /** A worker is gone: its sockets no longer count, for presence or for the address caps. */
  forgetWorker(workerId: number): void {
    this.forgetSockets(workerId);
    for (const [address, byWorker] of this.addresses) {
      byWorker.delete(workerId);
      if (byWorker.size === 0) this.addresses.delete(address);
    }
  }

  private forgetSockets(workerId: number): void {
    for (const [userId, mine] of this.sockets) {
      for (const [socketId, worker] of mine) if (worker === workerId) mine.delete(socketId);
      if (mine.size > 0) continue;
      this.sockets.delete(userId);
      this.wentOffline.add(userId);
    }
  }
}
