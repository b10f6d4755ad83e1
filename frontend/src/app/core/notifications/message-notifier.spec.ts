import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AttachmentDto } from '../../../sdk/models/attachment-dto';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { AuthStore } from '../auth-store';
import { DeviceCrypto } from '../crypto/device-crypto';
import { Realtime } from '../realtime';
import { FakeRealtime } from '../realtime.fixtures';
import { MessageNotifier } from './message-notifier';
import { NotificationPrefs } from './notification-prefs';
import { NotifyingTab } from './notifying-tab';
import { UnreadBadge } from './unread-badge';

const conversation = (id: string, unreadCount: number, muted = false) => ({
  id,
  peer: { id: 'u2', username: 'bob', displayName: 'Bob' },
  unreadCount,
  muted,
  encrypted: false,
  lastMessage: null,
  peerLastReadSeq: 0,
  lastActivityAt: '2026-12-06T08:00:00.000Z',
  defaultExpiresInSeconds: null,
  defaultExpiryMode: 'afterSend',
});
const message = (conversationId: string, body: string | null, senderId = 'u2', overrides: Partial<MessageDto> = {}): MessageDto => ({
  id: `m-${body}`,
  clientId: `k-${body}`,
  conversationId,
  senderId,
  senderDeviceId: 's2',
  kind: 'message',
  body,
  ciphertext: null,
  relatesTo: null,
  attachments: [],
  seq: 1,
  createdAt: '2026-12-06T08:00:00.000Z',
  editedAt: null,
  deleted: false,
  expiresAt: null,
  expiresInSeconds: null,
  expiryMode: null,
  ...overrides,
});
const attachment = (kind: AttachmentDto['kind'], name: string, mimeType: string, durationSeconds: number | null = null): AttachmentDto => ({
  id: `a-${name}`,
  kind,
  name,
  mimeType,
  size: 2048,
  url: `/api/attachments/a-${name}`,
  durationSeconds,
  createdAt: '2026-12-06T08:00:00.000Z',
});

class RecordedNotification {
  static permission: NotificationPermission = 'granted';
  static readonly shown: { title: string; options: NotificationOptions }[] = [];
  static readonly instances: RecordedNotification[] = [];
  onclick: (() => void) | null = null;
  constructor(
    readonly title: string,
    readonly options: NotificationOptions = {},
  ) {
    RecordedNotification.shown.push({ title, options });
    RecordedNotification.instances.push(this);
  }
  close = vi.fn();
}

describe('MessageNotifier', () => {
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  let hidden = true;
  const leading = signal(true);
  /** The device's crypto: what it decrypts an encrypted message to, when started. */
  const decrypt = vi.fn();
  const deviceService = signal<{ decrypt: typeof decrypt } | null>(null);

  beforeEach(() => {
    RecordedNotification.shown.length = 0;
    RecordedNotification.instances.length = 0;
    leading.set(true);
    localStorage.clear();
    vi.stubGlobal('Notification', RecordedNotification);
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => (hidden ? 'hidden' : 'visible'));
    realtime = new FakeRealtime();
    decrypt.mockReset();
    deviceService.set({ decrypt });
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        { provide: Realtime, useValue: realtime },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }), signedIn: signal(true) } },
        { provide: NotifyingTab, useValue: { active: leading } },
        { provide: DeviceCrypto, useValue: { service: deviceService } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  const answerList = async (...items: ReturnType<typeof conversation>[]) =>
    (await vi.waitFor(() => http.expectOne((request) => request.url === '/api/conversations'))).flush({ items, nextCursor: null });

  function start() {
    const sut = TestBed.inject(MessageNotifier);
    TestBed.tick();
    return sut;
  }

  it('puts the unread total of every conversation in the title and reads it again after a read elsewhere', async () => {
    start();
    await answerList(conversation('c1', 2), conversation('c2', 1));
    const badge = TestBed.inject(UnreadBadge);
    await vi.waitFor(() => expect(badge.unread()).toBe(3));
    TestBed.tick();
    expect(document.title).toBe('(3) Iris');

    realtime.serve('conversation.read', { conversationId: 'c1', userId: 'u1', seq: 9 });
    await answerList(conversation('c1', 0), conversation('c2', 1));
    await vi.waitFor(() => expect(badge.unread()).toBe(1));
    TestBed.tick();
    expect(document.title).toBe('(1) Iris');
  });

  it('shows "New message from Bob" without the text while hidden, with the text only when previews are on, and opens the chat on click', async () => {
    const prefs = TestBed.inject(NotificationPrefs);
    prefs.set({ desktop: true });
    start();
    await answerList(conversation('c1', 0));

    realtime.serve('message.created', message('c1', 'secret'));
    await answerList(conversation('c1', 1));
    await vi.waitFor(() => expect(RecordedNotification.shown).toHaveLength(1));
    expect(RecordedNotification.shown[0]).toEqual({ title: 'New message from Bob', options: { body: '', tag: 'c1' } });

    prefs.set({ previews: true });
    realtime.serve('message.created', message('c1', 'visible text'));
    await answerList(conversation('c1', 2));
    await vi.waitFor(() => expect(RecordedNotification.shown).toHaveLength(2));
    expect(RecordedNotification.shown[1].options.body).toBe('visible text');

    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    vi.spyOn(window, 'focus').mockImplementation(() => undefined);
    RecordedNotification.instances[0].onclick!();
    expect(navigate).toHaveBeenCalledWith('/chats/c1');
    expect(RecordedNotification.instances[0].close).toHaveBeenCalled();
  });

  describe('the body', () => {
    const voice = attachment('audio', 'voice-message-2026-12-06-10-20-30.webm', 'audio/webm', 5.2);
    const photo = attachment('image', 'IMG_0042.jpg', 'image/jpeg');
    const file = attachment('file', 'report.pdf', 'application/pdf');

    /** The body of the notification a new message from Bob in c1 shows. */
    async function bodyFor(sent: MessageDto): Promise<string | undefined> {
      start();
      await answerList(conversation('c1', 0));
      realtime.serve('message.created', sent);
      await answerList(conversation('c1', 1));
      await vi.waitFor(() => expect(RecordedNotification.shown).toHaveLength(1));
      expect(RecordedNotification.shown[0].title).toBe('New message from Bob');
      return RecordedNotification.shown[0].options.body;
    }

    describe('with previews on, says what the chat list says', () => {
      beforeEach(() => TestBed.inject(NotificationPrefs).set({ desktop: true, previews: true }));

      it('for a voice message: "Voice message" with its length', async () => {
        expect(await bodyFor(message('c1', null, 'u2', { attachments: [voice] }))).toBe('🎤 Voice message (0:05)');
      });

      it('for a photo', async () => {
        expect(await bodyFor(message('c1', null, 'u2', { attachments: [photo] }))).toBe('📷 Photo');
      });

      it('for a file: its name', async () => {
        expect(await bodyFor(message('c1', null, 'u2', { attachments: [file] }))).toBe('📎 report.pdf');
      });

      it('for a text: the text, on one line', async () => {
        expect(await bodyFor(message('c1', 'Lunch\n  at noon?'))).toBe('Lunch at noon?');
      });

      describe('for an encrypted message, decrypted by this device', () => {
        const ciphertext = { algorithm: 'm.megolm.v1.aes-sha2' as const, ciphertext: 'AwgA', session_id: 'session-1' };
        const encrypted = () => message('c1', null, 'u2', { ciphertext, attachments: [attachment('encrypted', 'encrypted.bin', 'application/octet-stream')] });

        it('a text: the text', async () => {
          decrypt.mockResolvedValue({ kind: 'ok', content: { type: 'text', body: 'See you\nat eight' }, senderDeviceId: 's2' });
          expect(await bodyFor(encrypted())).toBe('See you at eight');
          expect(decrypt).toHaveBeenCalledWith(expect.objectContaining({ id: encrypted().id, ciphertext }));
        });

        it('a voice message: "Voice message" with its length', async () => {
          const content = { type: 'text', attachments: [{ mimetype: 'audio/webm', name: 'voice-message-2026-12-06-10-20-30.webm', durationSeconds: 5.2 }] };
          decrypt.mockResolvedValue({ kind: 'ok', content, senderDeviceId: 's2' });
          expect(await bodyFor(encrypted())).toBe('🎤 Voice message (0:05)');
        });

        it('nothing when it cannot be read yet', async () => {
          decrypt.mockResolvedValue({ kind: 'undecryptable', reason: 'no-key', message: 'Waiting for the key' });
          expect(await bodyFor(encrypted())).toBe('');
        });

        it('nothing, and no decryption, when the device has no crypto running', async () => {
          deviceService.set(null);
          expect(await bodyFor(encrypted())).toBe('');
          expect(decrypt).not.toHaveBeenCalled();
        });
      });
    });

    it('with previews off, says only who wrote, for a text, a voice message, a photo or a file alike', async () => {
      TestBed.inject(NotificationPrefs).set({ desktop: true, previews: false });
      start();
      await answerList(conversation('c1', 0));
      const ciphertext = { algorithm: 'm.megolm.v1.aes-sha2' as const, ciphertext: 'AwgA', session_id: 'session-1' };
      decrypt.mockResolvedValue({ kind: 'ok', content: { type: 'text', body: 'secret too' }, senderDeviceId: 's2' });
      const sent = [
        message('c1', 'secret'),
        message('c1', null, 'u2', { attachments: [voice] }),
        message('c1', null, 'u2', { attachments: [photo] }),
        message('c1', null, 'u2', { attachments: [file] }),
        message('c1', null, 'u2', { ciphertext }),
      ];
      for (const [index, item] of sent.entries()) {
        realtime.serve('message.created', { ...item, id: `m${index}` });
        await answerList(conversation('c1', index + 1));
        await vi.waitFor(() => expect(RecordedNotification.shown).toHaveLength(index + 1));
      }
      expect(RecordedNotification.shown).toEqual(sent.map(() => ({ title: 'New message from Bob', options: { body: '', tag: 'c1' } })));
      expect(decrypt).not.toHaveBeenCalled();
    });
  });

  it('stays silent for a muted conversation, for its own messages, while visible, and with desktop notifications off', async () => {
    TestBed.inject(NotificationPrefs).set({ desktop: true });
    start();
    await answerList(conversation('c1', 0, true), conversation('c2', 0));

    realtime.serve('message.created', message('c1', 'muted'));
    await answerList(conversation('c1', 1, true), conversation('c2', 0));
    realtime.serve('message.created', message('c2', 'mine', 'u1'));
    await answerList(conversation('c1', 1, true), conversation('c2', 0));
    hidden = false;
    realtime.serve('message.created', message('c2', 'while visible'));
    await answerList(conversation('c1', 1, true), conversation('c2', 1));
    hidden = true;
    TestBed.inject(NotificationPrefs).set({ desktop: false });
    realtime.serve('message.created', message('c2', 'switched off'));
    await answerList(conversation('c1', 1, true), conversation('c2', 2));
    await vi.waitFor(() => expect(TestBed.inject(UnreadBadge).unread()).toBe(3));
    expect(RecordedNotification.shown).toEqual([]);
  });

  it('leaves the tone and the notification to the browser\'s notifying tab when it is not this one; the title still counts', async () => {
    TestBed.inject(NotificationPrefs).set({ desktop: true, sound: true });
    leading.set(false);
    start();
    await answerList(conversation('c1', 0));
    realtime.serve('message.created', message('c1', 'to another tab'));
    await answerList(conversation('c1', 1));
    await vi.waitFor(() => expect(TestBed.inject(UnreadBadge).unread()).toBe(1));
    expect(RecordedNotification.shown).toEqual([]);

    leading.set(true);
    realtime.serve('message.created', message('c1', 'to this tab'));
    await answerList(conversation('c1', 2));
    await vi.waitFor(() => expect(RecordedNotification.shown).toHaveLength(1));
  });
});
