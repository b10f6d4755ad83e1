import { message } from './message.fixtures';
import type { ShownMessage } from './shown-message';
import { aggregateReactions, buildTimeline, dayLabel, excerpt, leadingNotices, type TimelineContext } from './timeline';

const sent = (overrides: Parameters<typeof message>[0]): ShownMessage => ({ message: message(overrides), state: 'sent' });
const reaction = (id: string, senderId: string, key: string, relatesTo = 'm1', state: ShownMessage['state'] = 'sent'): ShownMessage => ({
  message: message({ id, clientId: `k-${id}`, senderId, kind: 'reaction', relatesTo, body: key, seq: 10 }),
  state,
});

const context: TimelineContext = {
  me: 'u1',
  nameOf: (id) => (id === 'u1' ? 'You' : 'Bob'),
  keyOf: (entry) => entry.message.body,
  now: new Date(2026, 0, 10, 12),
};

describe('aggregateReactions', () => {
  it('groups the reactions to each message per emoji, in the order first used, with who reacted', () => {
    const sut = aggregateReactions([sent({}), reaction('r1', 'u2', '👍'), reaction('r2', 'u1', '❤️'), reaction('r3', 'u1', '👍')], context);
    expect(sut.get('m1')).toEqual([
      { key: '👍', count: 2, names: ['Bob', 'You'], mine: 'r3', reacted: true },
      { key: '❤️', count: 1, names: ['You'], mine: 'r2', reacted: true },
    ]);
  });

  it('counts a person once per emoji, and leaves out deleted reactions and those not decrypted yet', () => {
    const deleted = { ...reaction('r3', 'u2', '😂'), message: { ...reaction('r3', 'u2', '😂').message, deleted: true } };
    const sut = aggregateReactions([reaction('r1', 'u2', '👍'), reaction('r2', 'u2', '👍'), deleted, reaction('r4', 'u2', '')], { ...context, keyOf: (entry) => entry.message.body || null });
    expect(sut.get('m1')).toEqual([{ key: '👍', count: 1, names: ['Bob'], mine: null, reacted: false }]);
  });

  it('shows your reaction at once while it is on its way, but only a sent one can be removed', () => {
    const sut = aggregateReactions([reaction('local-1', 'u1', '👍', 'm1', 'pending')], context);
    expect(sut.get('m1')).toEqual([{ key: '👍', count: 1, names: ['You'], mine: null, reacted: true }]);
  });

  it('keeps reactions to different messages apart', () => {
    const sut = aggregateReactions([reaction('r1', 'u2', '👍', 'm1'), reaction('r2', 'u2', '👍', 'm2')], context);
    expect(sut.get('m1')?.[0].count).toBe(1);
    expect(sut.get('m2')?.[0].count).toBe(1);
  });
});

describe('buildTimeline', () => {
  it('never shows a reaction as a message, and puts it under its target', () => {
    const sut = buildTimeline([sent({ id: 'm1' }), reaction('r1', 'u2', '👍'), sent({ id: 'm2', clientId: 'k2', seq: 11 })], context);
    expect(sut.map((item) => item.entry.message.id)).toEqual(['m1', 'm2']);
    expect(sut[0].reactions).toHaveLength(1);
    expect(sut[1].reactions).toEqual([]);
  });

  it('links a reply to its target, or to null when the target is not loaded', () => {
    const sut = buildTimeline([sent({ id: 'm1' }), sent({ id: 'm2', clientId: 'k2', relatesTo: 'm1', seq: 2 }), sent({ id: 'm3', clientId: 'k3', relatesTo: 'gone', seq: 3 })], context);
    expect(sut[0].replyTo).toBeUndefined();
    expect(sut[1].replyTo?.message.id).toBe('m1');
    expect(sut[2].replyTo).toBeNull();
  });

  it('labels the first message of each day', () => {
    const today = new Date(2026, 0, 10, 9).toISOString();
    const yesterday = new Date(2026, 0, 9, 23).toISOString();
    const sut = buildTimeline(
      [
        sent({ id: 'a', clientId: 'a', createdAt: yesterday, seq: 1 }),
        sent({ id: 'b', clientId: 'b', createdAt: today, seq: 2 }),
        sent({ id: 'c', clientId: 'c', createdAt: today, seq: 3 }),
      ],
      context,
    );
    expect(sut.map((item) => item.day)).toEqual(['Yesterday', 'Today', null]);
  });

  it('puts each notice after the newest message there was when it happened, before messages still on their way', () => {
    const notices = [
      { id: 'n1', text: 'first', afterSeq: 0 },
      { id: 'n2', text: 'second', afterSeq: 1 },
      { id: 'n3', text: 'third', afterSeq: 2 },
    ];
    const entries = [sent({ id: 'm1', seq: 1 }), sent({ id: 'm2', clientId: 'k2', seq: 2 }), { message: message({ id: 'local', clientId: 'k3', seq: Number.MAX_SAFE_INTEGER }), state: 'pending' as const }];
    const sut = buildTimeline(entries, context, notices);
    expect(sut.map((item) => item.notices.map((notice) => notice.text))).toEqual([['second'], ['third'], []]);
    expect(leadingNotices(sut, notices).map((notice) => notice.text)).toEqual(['first']);
    expect(leadingNotices([], notices)).toHaveLength(3);
  });

  it('shows no reactions under a deleted message', () => {
    const sut = buildTimeline([{ ...sent({ id: 'm1' }), message: message({ deleted: true, body: null }) }, reaction('r1', 'u2', '👍')], context);
    expect(sut[0].reactions).toEqual([]);
  });
});

describe('dayLabel', () => {
  const now = new Date(2026, 5, 15, 8);
  it('says Today and Yesterday by the local calendar, not by 24 hours', () => {
    expect(dayLabel(new Date(2026, 5, 15, 0, 1).toISOString(), now)).toBe('Today');
    expect(dayLabel(new Date(2026, 5, 14, 23, 59).toISOString(), now)).toBe('Yesterday');
  });

  it('gives older days as a date, with the year only when it is another year', () => {
    expect(dayLabel(new Date(2026, 5, 1).toISOString(), now)).not.toMatch(/2026/);
    expect(dayLabel(new Date(2025, 11, 24).toISOString(), now)).toMatch(/2025/);
  });
});

describe('excerpt', () => {
  it('keeps a quote to one short line', () => {
    expect(excerpt('a\n  b')).toBe('a b');
    expect(excerpt('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
