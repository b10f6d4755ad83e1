import { countOf, erasureParts, formatAgo, formatBytes, formatDuration } from './admin-format';
import { erasureCounts } from './admin.fixtures';

describe('admin-format', () => {
  describe('formatBytes', () => {
    it('says bytes below a kilobyte and binary multiples above', () => {
      expect(formatBytes(0, 'en')).toBe('0 bytes');
      expect(formatBytes(1, 'en')).toBe('1 byte');
      expect(formatBytes(1023, 'en')).toBe('1,023 bytes');
      expect(formatBytes(1536, 'en')).toBe('1.5 KB');
      expect(formatBytes(3_565_158, 'en')).toBe('3.4 MB');
      expect(formatBytes(52_428_800, 'en')).toBe('50 MB');
      expect(formatBytes(5 * 1024 ** 3, 'en')).toBe('5 GB');
    });
  });

  describe('countOf', () => {
    it('picks singular or plural and groups digits', () => {
      expect(countOf(1, 'message', 'messages', 'en')).toBe('1 message');
      expect(countOf(0, 'message', 'messages', 'en')).toBe('0 messages');
      expect(countOf(1234, 'file', 'files', 'en')).toBe('1,234 files');
    });
  });

  describe('erasureParts', () => {
    it('names every kind that is not zero, in words', () => {
      expect(erasureParts(erasureCounts({ friendRequests: 1, sessions: 1 }), 'en')).toEqual([
        '1,234 messages they sent',
        '12 files (3.4 MB)',
        '5 friendships',
        '1 pending friend request',
        '1 block',
        '1 signed-in device',
        'their side of 4 conversations',
      ]);
    });

    it('is empty for an account that held nothing', () => {
      expect(erasureParts({ messages: 0, attachments: 0, attachmentBytes: 0, friendships: 0 }, 'en')).toEqual([]);
    });
  });

  describe('formatAgo', () => {
    const now = new Date('2026-03-10T12:00:00Z');
    it('goes from "just now" to minutes, hours, days, then the date', () => {
      expect(formatAgo('2026-03-10T11:59:30Z', now)).toBe('just now');
      expect(formatAgo('2026-03-10T11:55:00Z', now)).toBe('5 min ago');
      expect(formatAgo('2026-03-10T09:00:00Z', now)).toBe('3 h ago');
      expect(formatAgo('2026-03-09T11:00:00Z', now)).toBe('yesterday');
      expect(formatAgo('2026-03-01T12:00:00Z', now)).toBe('9 days ago');
      expect(formatAgo('2025-12-01T12:00:00Z', now, 'en-GB')).toBe('1 Dec 2025');
    });
  });

  describe('formatDuration', () => {
    it('uses ms, seconds, then minutes', () => {
      expect(formatDuration(45)).toBe('45 ms');
      expect(formatDuration(1234, 'en')).toBe('1.2 s');
      expect(formatDuration(184_000)).toBe('3 min 4 s');
      expect(formatDuration(120_000)).toBe('2 min');
    });
  });
});
