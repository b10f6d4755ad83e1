import { MemoryPresenceStore } from './presence-store.js';
import { RealtimeService } from './realtime.service.js';

describe('RealtimeService', () => {
  let sut: RealtimeService;

  beforeEach(() => {
    sut = new RealtimeService(new MemoryPresenceStore());
  });

  describe('the functions modules register for the gateway', () => {
    it('answers with what the owning module registered', async () => {
      sut.setAuthFn(
        async (token) => ({ id: `user-of-${token}`, role: 'user', sessionId: 's1', tokenVersion: 0 }),
        async (ids) => new Set(ids.slice(1)),
      );
      sut.setPeerFn(async (userId, conversationId) => `${userId}-peer-in-${conversationId}`);
      sut.setFriendsFn(
        async () => ({ friends: true, blockedByMe: false, blockedMe: false }),
        async (userId) => [`friend-of-${userId}`],
      );

      expect(await sut.authenticate('t')).toMatchObject({ id: 'user-of-t' });
      expect(await sut.openSessionIds(['s1', 's2'])).toEqual(new Set(['s2']));
      expect(await sut.peerOf('ada', 'c1')).toBe('ada-peer-in-c1');
      expect(await sut.relationship('ada', 'bob')).toEqual({ friends: true, blockedByMe: false, blockedMe: false });
      expect(await sut.presenceAudience('ada')).toEqual(['friend-of-ada']);
    });

    it('fails, naming the function, when no module registered it', async () => {
      await expect(sut.authenticate('t')).rejects.toThrow('No module registered the realtime auth function');
      await expect(sut.peerOf('ada', 'c1')).rejects.toThrow('No module registered the realtime peer function');
      await expect(sut.presenceAudience('ada')).rejects.toThrow('No module registered the realtime presence audience function');
    });
  });
});
