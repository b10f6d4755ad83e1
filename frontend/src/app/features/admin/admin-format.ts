import type { ErasureCountsDto } from '../../../sdk/models/erasure-counts-dto';

const UNITS = ['KB', 'MB', 'GB', 'TB'];

/** "0 bytes", "512 bytes", "3.4 MB": binary multiples, as file managers show them. */
export function formatBytes(bytes: number, locale?: string): string {
  if (bytes < 1024) return `${formatNumber(bytes, locale)} ${bytes === 1 ? 'byte' : 'bytes'}`;
  let value = bytes;
  let unit = -1;
  do {
    value /= 1024;
    unit++;
  } while (value >= 1024 && unit < UNITS.length - 1);
  const digits = value < 10 ? 1 : 0;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 })} ${UNITS[unit]}`;
}

export function formatNumber(value: number, locale?: string): string {
  return value.toLocaleString(locale);
}

/** "1 message", "1,234 messages". */
export function countOf(value: number, singular: string, plural = `${singular}s`, locale?: string): string {
  return `${formatNumber(value, locale)} ${value === 1 ? singular : plural}`;
}

/**
 * What an erasure removes (or removed), in words, one phrase per kind that is not zero:
 * "1,234 messages they sent", "12 files (3.4 MB)", "5 friendships", …
 */
export function erasureParts(counts: Partial<ErasureCountsDto>, locale?: string): string[] {
  const parts: string[] = [];
  const n = (key: keyof ErasureCountsDto) => Number(counts[key] ?? 0);
  if (n('messages')) parts.push(`${countOf(n('messages'), 'message', 'messages', locale)} they sent`);
  if (n('attachments')) parts.push(`${countOf(n('attachments'), 'file', 'files', locale)} (${formatBytes(n('attachmentBytes'), locale)})`);
  if (n('friendships')) parts.push(countOf(n('friendships'), 'friendship', 'friendships', locale));
  if (n('friendRequests')) parts.push(countOf(n('friendRequests'), 'pending friend request', 'pending friend requests', locale));
  if (n('blocks')) parts.push(countOf(n('blocks'), 'block', 'blocks', locale));
  if (n('sessions')) parts.push(countOf(n('sessions'), 'signed-in device', 'signed-in devices', locale));
  if (n('conversations')) {
    parts.push(`their side of ${countOf(n('conversations'), 'conversation', 'conversations', locale)}`);
  }
  return parts;
}

/** "3 Mar 2026, 14:05". */
export function formatDateTime(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleString(locale, { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "3 Mar 2026". */
export function formatDate(iso: string, locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return date.toLocaleDateString(locale, { day: 'numeric', month: 'short', year: 'numeric' });
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function formatAgo(iso: string, now: Date = new Date(), locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const seconds = Math.max(0, Math.round((now.getTime() - date.getTime()) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  const days = Math.floor(seconds / 86_400);
  if (days < 30) return days === 1 ? 'yesterday' : `${days} days ago`;
  return formatDate(iso, locale);
}

/** "45 ms", "1.2 s", "3 min 4 s". */
export function formatDuration(ms: number, locale?: string): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toLocaleString(locale, { maximumFractionDigits: 1 })} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}
