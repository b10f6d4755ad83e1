import type { Api } from '../../../sdk/api';
import type { MessageDto } from '../../../sdk/models/message-dto';
import type { MessagePageDto } from '../../../sdk/models/message-page-dto';
import type { Toasts } from '../../shared/toasts';
import { HistoryPages } from './history-pages';
import { message } from './message.fixtures';

describe('HistoryPages', () => {
  let sut: HistoryPages;
  let invoke: ReturnType<typeof vi.fn>;
  let toasts: { error: ReturnType<typeof vi.fn> };
  let openId: string | null;
  let merged: MessageDto[][];

  const page = (seqs: number[], nextCursor: string | null): MessagePageDto => ({
    items: seqs.map((seq) => message({ id: `m${seq}`, clientId: `k${seq}`, seq })),
    nextCursor,
  });
  const seqsMerged = () => merged.map((items) => items.map((item) => item.seq));
  /** The history parameters of each request made. */
  const requests = () => invoke.mock.calls.map(([, params]) => params);

  beforeEach(() => {
    invoke = vi.fn();
    toasts = { error: vi.fn() };
    openId = 'c1';
    merged = [];
    sut = new HistoryPages({
      api: { invoke } as unknown as Api,
      toasts: toasts as unknown as Toasts,
      conversationId: () => openId,
      merge: (messages) => merged.push(messages),
    });
  });

  describe('newest and start', () => {
    it('asks for the newest page, then adds it and knows from its cursor whether older messages are left', async () => {
      invoke.mockResolvedValue(page([11, 12], '11'));
      sut.start(await sut.newest('c1'));
      expect(requests()).toEqual([{ id: 'c1', limit: 50 }]);
      expect(seqsMerged()).toEqual([[11, 12]]);
      expect(sut.hasOlder()).toBe(true);

      sut.start(page([1], null));
      expect(sut.hasOlder()).toBe(false);
    });
  });

  describe('older', () => {
    beforeEach(() => sut.start(page([5], '5')));

    it('adds the page before the cursor, one request at a time, and stops at the beginning', async () => {
      let answer!: (value: MessagePageDto) => void;
      invoke.mockReturnValue(new Promise((resolve) => (answer = resolve)));
      const loading = sut.older('c1');
      expect(sut.loadingOlder()).toBe(true);
      expect(await sut.older('c1')).toBe(false);
      answer(page([4], null));

      expect(await loading).toBe(true);
      expect(requests()).toEqual([{ id: 'c1', before: 5, limit: 50 }]);
      expect(seqsMerged()).toEqual([[5], [4]]);
      expect(sut.loadingOlder()).toBe(false);
      expect(sut.hasOlder()).toBe(false);
      expect(await sut.older('c1')).toBe(false);
      expect(invoke).toHaveBeenCalledTimes(1);
    });

    it('says that it failed, in a toast too, and lets the next attempt try again', async () => {
      const failure = new Error('offline');
      invoke.mockRejectedValueOnce(failure);
      expect(await sut.older('c1')).toBe(false);
      expect(sut.olderFailed()).toBe(true);
      expect(sut.loadingOlder()).toBe(false);
      expect(toasts.error).toHaveBeenCalledWith(failure);

      invoke.mockResolvedValueOnce(page([4], '4'));
      const retry = sut.older('c1');
      expect(sut.olderFailed()).toBe(false);
      expect(await retry).toBe(true);
      expect(seqsMerged()).toEqual([[5], [4]]);
      expect(sut.hasOlder()).toBe(true);
    });

    it('drops a page, or a failure, that comes once another conversation is open', async () => {
      const openingAnother = (answer: () => MessagePageDto) => async () => {
        openId = 'c2';
        return answer();
      };
      invoke.mockImplementationOnce(openingAnother(() => page([4], null)));
      expect(await sut.older('c1')).toBe(false);
      openId = 'c1';
      sut.reset();
      sut.start(page([5], '5'));
      invoke.mockImplementationOnce(
        openingAnother(() => {
          throw new Error('offline');
        }),
      );
      expect(await sut.older('c1')).toBe(false);

      expect(seqsMerged()).toEqual([[5], [5]]);
      expect(sut.hasOlder()).toBe(true);
      expect(sut.olderFailed()).toBe(false);
      expect(toasts.error).not.toHaveBeenCalled();
    });
  });

  describe('newer', () => {
    it('adds every page after the given seq, following the cursor to the newest', async () => {
      invoke.mockResolvedValueOnce(page([3, 4], '4')).mockResolvedValueOnce(page([5], null));
      expect(await sut.newer('c1', 2)).toBe(true);
      expect(requests()).toEqual([
        { id: 'c1', after: 2, limit: 50 },
        { id: 'c1', after: 4, limit: 50 },
      ]);
      expect(seqsMerged()).toEqual([[3, 4], [5]]);
    });

    it('stops once another conversation is open, without adding the page', async () => {
      invoke.mockImplementationOnce(async () => {
        openId = 'c2';
        return page([3], '3');
      });
      expect(await sut.newer('c1', 2)).toBe(false);
      expect(merged).toEqual([]);
      expect(invoke).toHaveBeenCalledTimes(1);
    });
  });
});
