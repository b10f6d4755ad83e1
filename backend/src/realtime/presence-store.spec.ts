import { MemoryPresenceStore } from './presence-store.js';

describe('MemoryPresenceStore', () => {
  let sut: MemoryPresenceStore;

  beforeEach(() => {
    sut = new MemoryPresenceStore();
  });

  describe('connect and disconnect', () => {
    it('reports online for the first socket only and offline for the last only', async () => {
      expect(await sut.connect('ada', 's1')).toBe(true);
      expect(await sut.connect('ada', 's2')).toBe(false);
      expect(await sut.disconnect('ada', 's1')).toBe(false);
      expect(await sut.disconnect('ada', 's2')).toBe(true);
    });

    it('ignores a socket it does not know, and a second disconnect of the same socket', async () => {
      await sut.connect('ada', 's1');

      expect(await sut.disconnect('ada', 'unknown')).toBe(false);
      expect(await sut.disconnect('bob', 's1')).toBe(false);
      expect(await sut.disconnect('ada', 's1')).toBe(true);
      expect(await sut.disconnect('ada', 's1')).toBe(false);
    });
  });

  describe('online', () => {
    it('answers which of the users have a socket', async () => {
      await sut.connect('ada', 's1');
      await sut.connect('bob', 's2');
      await sut.disconnect('bob', 's2');

      expect(await sut.online(['ada', 'bob', 'cy'])).toEqual(new Set(['ada']));
    });
  });

  describe('maintain and close', () => {
    it('changes nothing on upkeep and forgets everyone on close', async () => {
      await sut.connect('ada', 's1');

      expect(await sut.maintain()).toEqual({ online: [], offline: [] });
      await sut.close();
      expect(await sut.online(['ada'])).toEqual(new Set());
    });
  });
});
