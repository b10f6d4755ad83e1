import type { ShownMessage } from './shown-message';

/** One emoji under a message: how many reacted with it, who, and your own reaction (to remove it). */
export interface ReactionGroup {
  key: string;
  count: number;
  /** Who reacted, in the order they did ("You" for the signed-in user). */
  names: string[];
  /** The id of your sent reaction with this emoji, null when you did not react with it (or it is still on its way). */
  mine: string | null;
  /** You reacted with it (sent or still on its way). */
  reacted: boolean;
}

/** A message as the history lists it: with the reactions to it and, when a new day starts there, that day's label. */
export interface TimelineItem {
  entry: ShownMessage;
  reactions: ReactionGroup[];
  /** "Today", "Yesterday" or a date, on the first message of each day; null on the others. */
  day: string | null;
  /** For a reply: the message it answers (null when it is not in the loaded history); undefined otherwise. */
  replyTo?: ShownMessage | null;
  /** Changes of the conversation (timer, encryption) made after this message and before the next one. */
  notices: HistoryNotice[];
}

/** A change of the conversation, shown in the history after the newest message there was when it happened. */
export interface HistoryNotice {
  /** The server's id of the notice. */
  id: string;
  text: string;
  /** The newest message's seq when it happened (0 for none). */
  afterSeq: number;
}

export interface TimelineContext {
  me: string | null;
  /** A sender's name as shown ("You" for the signed-in user). */
  nameOf(senderId: string): string;
  /** A reaction's emoji, once its content is known (decrypted); null before. */
  keyOf(entry: ShownMessage): string | null;
  now: Date;
}

/**
 * The history as shown: messages in order, reactions gathered under the message they point at (never
 * shown as messages), replies with their target, and a label where a new day starts.
 */
export function buildTimeline(entries: readonly ShownMessage[], context: TimelineContext, notices: readonly HistoryNotice[] = []): TimelineItem[] {
  const messages = entries.filter((entry) => entry.message.kind !== 'reaction');
  const byId = new Map(messages.map((entry) => [entry.message.id, entry]));
  const reactions = aggregateReactions(entries, context);
  let previousDay: string | null = null;
  // Messages on their way have no seq yet (the largest number): notices come before them.
  const sent = messages.filter((entry) => entry.state === 'sent');
  const lastSent = sent.at(-1);
  return messages.map((entry, index) => {
    const day = dayKey(entry.message.createdAt);
    const seq = entry.message.seq;
    const nextSeq = entry === lastSent ? Infinity : (messages[index + 1]?.message.seq ?? Infinity);
    const item: TimelineItem = {
      entry,
      reactions: entry.message.deleted ? [] : (reactions.get(entry.message.id) ?? []),
      day: day === previousDay ? null : dayLabel(entry.message.createdAt, context.now),
      notices: entry.state === 'sent' ? notices.filter((notice) => notice.afterSeq >= seq && notice.afterSeq < nextSeq) : [],
    };
    previousDay = day;
    if (entry.message.relatesTo) item.replyTo = byId.get(entry.message.relatesTo) ?? null;
    return item;
  });
}

/** The notices that come before every message in the timeline (or all of them, in an empty history). */
export function leadingNotices(timeline: readonly TimelineItem[], notices: readonly HistoryNotice[]): HistoryNotice[] {
  const first = timeline.find((item) => item.entry.state === 'sent');
  return first ? notices.filter((notice) => notice.afterSeq < first.entry.message.seq) : [...notices];
}

/**
 * The reactions of each message, by its id: one group per emoji in the order it was first used, each
 * person counted once per emoji. Deleted reactions and those not decrypted yet are left out.
 */
export function aggregateReactions(entries: readonly ShownMessage[], context: Pick<TimelineContext, 'me' | 'nameOf' | 'keyOf'>): Map<string, ReactionGroup[]> {
  const result = new Map<string, ReactionGroup[]>();
  const senders = new Map<ReactionGroup, Set<string>>();
  for (const entry of entries) {
    const { message } = entry;
    if (message.kind !== 'reaction' || message.deleted || !message.relatesTo) continue;
    const key = context.keyOf(entry);
    if (!key) continue;
    const groups = result.get(message.relatesTo) ?? [];
    result.set(message.relatesTo, groups);
    let group = groups.find((candidate) => candidate.key === key);
    if (!group) {
      group = { key, count: 0, names: [], mine: null, reacted: false };
      groups.push(group);
      senders.set(group, new Set());
    }
    const mine = message.senderId === context.me;
    if (mine && entry.state === 'sent' && group.mine === null) group.mine = message.id;
    const seen = senders.get(group)!;
    if (seen.has(message.senderId)) continue;
    seen.add(message.senderId);
    group.count += 1;
    group.names.push(context.nameOf(message.senderId));
    if (mine) group.reacted = true;
  }
  return result;
}

/** The local calendar day of an ISO time, as a key. */
export function dayKey(iso: string): string {
  const date = new Date(iso);
  return `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;
}

/** "Today", "Yesterday", or the date in words (the year only when it is not this year). */
export function dayLabel(iso: string, now: Date): string {
  const date = new Date(iso);
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const days = Math.round((today.getTime() - day.getTime()) / 86_400_000);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  return date.toLocaleDateString(undefined, {
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    ...(date.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }),
  });
}

/** The text of a reply's quote: a short excerpt, on one line. */
export function excerpt(text: string, max = 80): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}\u2026` : line;
}
