import type { ConversationDto } from '../../../sdk/models/conversation-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';

export type ExpiryMode = ConversationDto['defaultExpiryMode'];

/** A timer choice: `seconds` null means no timer. */
export interface TimerSetting {
  seconds: number | null;
  mode: ExpiryMode;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** The choices the picker offers, shortest first (the server accepts 5 s – 4 weeks). */
export const TIMER_CHOICES: readonly { seconds: number | null; short: string; long: string }[] = [
  { seconds: null, short: 'Off', long: 'Off' },
  { seconds: 30, short: '30 s', long: '30 seconds' },
  { seconds: 5 * MINUTE, short: '5 min', long: '5 minutes' },
  { seconds: HOUR, short: '1 h', long: '1 hour' },
  { seconds: 8 * HOUR, short: '8 h', long: '8 hours' },
  { seconds: DAY, short: '1 day', long: '1 day' },
  { seconds: WEEK, short: '1 week', long: '1 week' },
  { seconds: 4 * WEEK, short: '4 weeks', long: '4 weeks' },
];

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "30 s", "5 min", "1 day"… for any number of seconds (a peer's client may have picked one not in the list). */
export function durationShort(seconds: number): string {
  const known = TIMER_CHOICES.find((choice) => choice.seconds === seconds);
  if (known) return known.short;
  if (seconds < MINUTE) return `${seconds} s`;
  if (seconds < HOUR) return `${Math.round(seconds / MINUTE)} min`;
  if (seconds < DAY) return `${Math.round(seconds / HOUR)} h`;
  if (seconds < WEEK) return plural(Math.round(seconds / DAY), 'day');
  return plural(Math.round(seconds / WEEK), 'week');
}

/** "30 seconds", "1 hour"… for screen readers and sentences. */
export function durationLong(seconds: number): string {
  const known = TIMER_CHOICES.find((choice) => choice.seconds === seconds);
  if (known) return known.long;
  if (seconds < MINUTE) return plural(seconds, 'second');
  if (seconds < HOUR) return plural(Math.round(seconds / MINUTE), 'minute');
  if (seconds < DAY) return plural(Math.round(seconds / HOUR), 'hour');
  if (seconds < WEEK) return plural(Math.round(seconds / DAY), 'day');
  return plural(Math.round(seconds / WEEK), 'week');
}

/** "1 hour after sending", "30 seconds after reading", or "Off". */
export function describeTimer(setting: TimerSetting): string {
  if (setting.seconds === null) return 'Off';
  return `${durationLong(setting.seconds)} ${setting.mode === 'afterRead' ? 'after reading' : 'after sending'}`;
}

/** Time left as shown on a message: "29 s", "4:59", "7 h 59 min", "6 d 23 h". */
export function remainingShort(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total < MINUTE) return `${total} s`;
  if (total < HOUR) return `${Math.floor(total / MINUTE)}:${String(total % MINUTE).padStart(2, '0')}`;
  if (total < DAY) return `${Math.floor(total / HOUR)} h ${Math.floor((total % HOUR) / MINUTE)} min`;
  return `${Math.floor(total / DAY)} d ${Math.floor((total % DAY) / HOUR)} h`;
}

/** Time left in words, for screen readers: "29 seconds", "4 minutes", "7 hours", "6 days". */
export function remainingLong(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  if (total < MINUTE) return plural(total, 'second');
  if (total < HOUR) return plural(Math.ceil(total / MINUTE), 'minute');
  if (total < DAY) return plural(Math.ceil(total / HOUR), 'hour');
  return plural(Math.ceil(total / DAY), 'day');
}

/**
 * The message as it is once `readerId` has read up to `seq` at `readAt`: an `afterRead` message of the
 * other member whose clock had not started now expires `expiresInSeconds` after `readAt`, as the server
 * computed it. Anything else comes back unchanged (the same object).
 */
export function startReadClock<T extends MessageDto>(message: T, readerId: string, seq: number, readAt: string): T {
  if (
    message.expiryMode !== 'afterRead' ||
    message.expiresAt !== null ||
    message.expiresInSeconds === null ||
    message.senderId === readerId ||
    message.seq > seq ||
    message.deleted
  ) {
    return message;
  }
  const start = Date.parse(readAt);
  if (Number.isNaN(start)) return message;
  return { ...message, expiresAt: new Date(start + message.expiresInSeconds * 1000).toISOString() };
}

/** Whether the message has reached its `expiresAt` at `now`. */
export function hasExpired(message: Pick<MessageDto, 'expiresAt'>, now: number): boolean {
  return message.expiresAt !== null && Date.parse(message.expiresAt) <= now;
}

/** Milliseconds until the soonest of these `expiresAt` still to come, or null when none is. */
export function nextExpiryIn(expiresAt: (string | null | undefined)[], now: number): number | null {
  let soonest: number | null = null;
  for (const at of expiresAt) {
    if (!at) continue;
    const time = Date.parse(at);
    if (time > now && (soonest === null || time < soonest)) soonest = time;
  }
  return soonest === null ? null : soonest - now;
}

/** setTimeout takes at most 2^31 - 1 ms; a longer wait is cut into steps (4 weeks is longer). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** What the user is told when `who` changed the chat's default timer. */
export function timerChangeNotice(who: string, setting: TimerSetting): string {
  if (setting.seconds === null) return `${who} turned off disappearing messages.`;
  return `${who} set new messages to disappear ${describeTimer(setting)}.`;
}
