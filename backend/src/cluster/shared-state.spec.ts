import type { SharedAnswer, SharedOp, SharedOps } from '../common/primary-channel.js';
import { SharedState } from './shared-state.js';

function ask<K extends SharedOp>(sut: SharedState, worker: number, op: K, ...args: SharedOps[K]['args']): Promise<SharedOps[K]['result']> {
  return new Promise((resolve, reject) => {
    const handled = sut.handle(worker, { type: 'iris:shared', id: 1, op, args }, (answer: SharedAnswer) =>
      answer.error === undefined ? resolve(answer.result as SharedOps[K]['result']) : reject(new Error(answer.error)),
    );
    if (!handled) reject(new Error('not handled'));
  });
}

describe('SharedState (the primary of several workers)', () => {
  let sut: SharedState;
  beforeEach(() => (sut = new SharedState()));

  describe('handle', () => {
    it('leaves messages that are not its own (the Socket.IO cluster adapter shares the channel)', () => {
      expect(sut.handle(1, { source: '_sio_adapter', type: 3 }, () => undefined)).toBe(false);
    });

    it('counts rate-limit hits from every worker into one window', async () => {
      await ask(sut, 1, 'rate.hit', 'auth:login:1.2.3.4', 60_000, 1_000);
      expect(await ask(sut, 2, 'rate.hit', 'auth:login:1.2.3.4', 60_000, 2_000)).toEqual({ count: 2, resetAt: 61_000 });
    });

    it('keeps a user online while any worker holds one of their sockets', async () => {
      expect(await ask(sut, 1, 'presence.connect', 'u1', 's1')).toBe(true);
      expect(await ask(sut, 2, 'presence.connect', 'u1', 's2')).toBe(false);
      expect(await ask(sut, 1, 'presence.disconnect', 'u1', 's1')).toBe(false);
      expect(await ask(sut, 2, 'presence.online', ['u1', 'u2'])).toEqual(['u1']);
      expect(await ask(sut, 2, 'presence.disconnect', 'u1', 's2')).toBe(true);
    });

    it('counts open sockets per address over all workers', async () => {
      await ask(sut, 1, 'sockets.opened', '1.2.3.4');
      await ask(sut, 2, 'sockets.opened', '1.2.3.4');
      await ask(sut, 2, 'sockets.closed', '1.2.3.4');
      expect(await ask(sut, 1, 'sockets.count', '1.2.3.4')).toBe(1);
    });
  });

  describe('forgetWorker', () => {
    it("reports the dead worker's users offline once, to the next upkeep, unless they are online elsewhere", async () => {
      await ask(sut, 1, 'presence.connect', 'gone', 's1');
      await ask(sut, 1, 'presence.connect', 'both', 's2');
      await ask(sut, 2, 'presence.connect', 'both', 's3');
      await ask(sut, 1, 'sockets.opened', '1.2.3.4');

      sut.forgetWorker(1);

      expect(await ask(sut, 2, 'presence.maintain')).toEqual(['gone']);
      expect(await ask(sut, 2, 'presence.maintain')).toEqual([]);
      expect(await ask(sut, 2, 'presence.online', ['gone', 'both'])).toEqual(['both']);
      expect(await ask(sut, 2, 'sockets.count', '1.2.3.4')).toBe(0);
    });
  });
});
