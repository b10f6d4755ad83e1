import type { Api } from '../../../sdk/api';
import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { ConversationNoticeDto } from '../../../sdk/models/conversation-notice-dto';
import { HistoryNotices, noticeText, shownNotices } from './history-notices';

const notice = (id: string, afterSeq: number, overrides: Partial<ConversationNoticeDto> = {}): ConversationNoticeDto => ({
  id,
  conversationId: 'c1',
  actorId: 'u2',
  type: 'timer',
  expiresInSeconds: 60,
  expiryMode: 'afterSend',
  afterSeq,
  createdAt: `2026-01-01T10:00:${String(afterSeq).padStart(2, '0')}.000Z`,
  ...overrides,
});

const conversation = { id: 'c1', peer: { id: 'u2', username: 'bob', displayName: 'Bob' } } as ConversationDto;

describe('HistoryNotices', () => {
  /** Pages of notices newest first, two a page, as the server lists them. */
  function newSut(all: ConversationNoticeDto[]) {
    const newestFirst = [...all].reverse();
    const invoke = vi.fn(async (_fn: unknown, params: { cursor?: string }) => {
      const start = params.cursor ? Number(params.cursor) : 0;
      return { items: newestFirst.slice(start, start + 2), nextCursor: start + 2 < newestFirst.length ? String(start + 2) : null };
    });
    const sut = new HistoryNotices({ api: { invoke } as unknown as Api, conversationId: () => 'c1' });
    return { sut, invoke };
  }

  it('loads older pages only as far as the loaded history reaches, and all of them once it is loaded from the start', async () => {
    const { sut, invoke } = newSut([notice('n1', 1), notice('n2', 5), notice('n3', 10), notice('n4', 20), notice('n5', 30)]);

    await sut.refresh({ oldestSeq: 15, hasOlder: true });
    expect(sut.all().map((n) => n.id)).toEqual(['n2', 'n3', 'n4', 'n5']);
    expect(invoke).toHaveBeenCalledTimes(2);

    await sut.reach('c1', { oldestSeq: 1, hasOlder: false });
    expect(sut.all().map((n) => n.id)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(invoke).toHaveBeenCalledTimes(3);
  });

  it('keeps each notice once, however often it is listed', async () => {
    const { sut } = newSut([notice('n1', 1), notice('n2', 2)]);

    await sut.refresh({ oldestSeq: 1, hasOlder: false });
    await sut.refresh({ oldestSeq: 1, hasOlder: false });

    expect(sut.all().map((n) => n.id)).toEqual(['n1', 'n2']);
  });
});

describe('shownNotices', () => {
  it('names who did it, an erased account as "Deleted user", and holds back those before the loaded history while older messages are to load', () => {
    const notices = [notice('n1', 2, { actorId: null }), notice('n2', 5, { actorId: 'u1', type: 'encryption', expiresInSeconds: null, expiryMode: null }), notice('n3', 6)];

    expect(shownNotices(notices, conversation, 'u1', { oldestSeq: 5, hasOlder: true }).map((n) => n.text)).toEqual([
      'You turned on end-to-end encryption.',
      'Bob set new messages to disappear 1 minute after sending.',
    ]);
    expect(shownNotices(notices, conversation, 'u1', { oldestSeq: 5, hasOlder: false })[0].text).toBe(
      'Deleted user set new messages to disappear 1 minute after sending.',
    );
  });

  it('says when the timer went off', () => {
    expect(noticeText(notice('n1', 1, { expiresInSeconds: null }), 'Alice')).toBe('Alice turned off disappearing messages.');
  });
});
