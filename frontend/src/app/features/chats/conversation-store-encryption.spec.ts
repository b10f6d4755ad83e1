import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { signal } from '@angular/core';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import type { FakeRealtime } from '../../core/realtime.fixtures';
import type { ConversationStore } from './conversation-store';
import { answerNotices, type ConversationStoreSetup, nextRequest, openConversation, setUpConversationStore } from './conversation-store.fixtures';
import { MessageDecryptor } from './message-decryptor';
import { message } from './message.fixtures';

const CIPHERTEXT = { algorithm: 'm.megolm.v1.aes-sha2' as const, ciphertext: 'AwgAEhAb', session_id: 'S1' };

describe('ConversationStore in an encrypted conversation', () => {
  let setup: ConversationStoreSetup;
  let sut: ConversationStore;
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  let crypto: {
    encrypt: ReturnType<typeof vi.fn>;
    decrypt: ReturnType<typeof vi.fn>;
    forget: ReturnType<typeof vi.fn>;
    knowsEncrypted: ReturnType<typeof vi.fn>;
    keysUpdated: ReturnType<typeof signal<number>>;
  };

  const next = (match: (url: string) => boolean) => nextRequest(http, match);

  beforeEach(() => {
    crypto = { encrypt: vi.fn().mockResolvedValue(CIPHERTEXT), decrypt: vi.fn(), forget: vi.fn(), knowsEncrypted: vi.fn().mockResolvedValue(false), keysUpdated: signal(0) };
    const device = { service: signal(crypto), error: signal(null), ready: () => Promise.resolve(crypto) };
    setup = setUpConversationStore([{ provide: DeviceCrypto, useValue: device }]);
    ({ sut, http, realtime } = setup);
    sut.setVisibility(() => false);
  });

  afterEach(() => {
    answerNotices(http);
    http.verify();
  });

  it('sends the text inside a ciphertext for both members, never as a body', async () => {
    await openConversation(setup, [], null, { encrypted: true });
    const sending = sut.send('  Meet at noon  ');
    const post = await next((url) => url === '/api/conversations/c1/messages');

    // The clientId inside the ciphertext is the one the message is sent with: a copy under another one is a replay.
    expect(crypto.encrypt).toHaveBeenCalledWith('c1', ['u1', 'u2'], { type: 'text', body: 'Meet at noon', clientId: post.request.body.clientId });
    expect(post.request.body).toEqual({ clientId: expect.any(String), ciphertext: CIPHERTEXT, expiresInSeconds: null });
    expect(post.request.body).not.toHaveProperty('body');
    post.flush(message({ id: 'm1', senderId: 'u1', clientId: post.request.body.clientId, body: null, ciphertext: CIPHERTEXT }));
    await sending;

    // What this device wrote shows at once, without a round through decryption.
    const decryptor = TestBed.inject(MessageDecryptor);
    expect(decryptor.contentOf(sut.messages()[0].message)).toEqual({ kind: 'ok', content: { type: 'text', body: 'Meet at noon', clientId: post.request.body.clientId } });
    expect(crypto.decrypt).not.toHaveBeenCalled();
  });

  it('resends an unsent message on reconnect with the same clientId and the same ciphertext, so a first attempt that landed is replayed, not doubled', async () => {
    await openConversation(setup, [], null, { encrypted: true });
    const first = sut.send('Hello');
    const failed = await next((url) => url === '/api/conversations/c1/messages');
    const clientId = failed.request.body.clientId;
    failed.flush(null, { status: 0, statusText: 'Network error' });
    await first;
    expect(sut.messages()[0].state).toBe('pending');

    setup.realtime.ready$.next({});
    const again = await next((url) => url === '/api/conversations/c1/messages');
    expect(again.request.body).toMatchObject({ clientId, ciphertext: CIPHERTEXT });
    expect(crypto.encrypt).toHaveBeenCalledTimes(1);
    again.flush(message({ id: 'm1', senderId: 'u1', clientId, body: null, ciphertext: CIPHERTEXT }));
    (await next((url) => url === '/api/conversations/c1/messages?after=0&limit=50')).flush({ items: [], nextCursor: null });
    await vi.waitFor(() => expect(sut.messages()[0].state).toBe('sent'));
    (await next((url) => url === '/api/conversations/c1')).flush({ id: 'c1', peer: null, defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend', encrypted: true });
  });

  it('keeps a message that could not be encrypted with its conversation while another chat is open, and sends it from there on Retry', async () => {
    await openConversation(setup, [], null, { encrypted: true });
    crypto.encrypt.mockRejectedValueOnce(new Error('No session with Bob’s devices'));
    await sut.send('Held back');
    expect(sut.messages().map((entry) => [entry.message.body, entry.state])).toEqual([['Held back', 'failed']]);

    // Two panes: another chat opens in the same place, and shows nothing of it.
    const other = sut.open('c2');
    (await next((url) => url === '/api/conversations/c2')).flush({ id: 'c2', peer: { id: 'u3', username: 'carol', displayName: 'Carol' }, defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend', encrypted: true });
    (await next((url) => url === '/api/conversations/c2/messages?limit=50')).flush({ items: [], nextCursor: null });
    await other;
    expect(sut.messages()).toEqual([]);

    await openConversation(setup, [], null, { encrypted: true });
    const held = sut.messages();
    expect(held.map((entry) => [entry.message.body, entry.state])).toEqual([['Held back', 'failed']]);
    const retried = sut.retry(held[0].message.clientId);
    const post = await next((url) => url === '/api/conversations/c1/messages');
    expect(post.request.body).toMatchObject({ clientId: held[0].message.clientId, ciphertext: CIPHERTEXT });
    post.flush(message({ id: 'm1', senderId: 'u1', clientId: held[0].message.clientId, body: null, ciphertext: CIPHERTEXT }));
    await retried;
    await vi.waitFor(() => expect(sut.messages().map((entry) => entry.state)).toEqual(['sent']));
  });

  it('edits with a new ciphertext that keeps the message’s files', async () => {
    const mine = message({ id: 'm1', senderId: 'u1', body: null, ciphertext: CIPHERTEXT });
    await openConversation(setup, [mine], null, { encrypted: true });
    const decryptor = TestBed.inject(MessageDecryptor);
    const file = { id: '3f2a1b4c-0000-4000-8000-000000000001', mimetype: 'text/plain', name: 'a.txt', size: 3, v: 'v2', iv: 'AAAAAAAAAAAAAAAAAAAAAA', hashes: { sha256: 'x' }, key: {} };
    decryptor.remember(mine, { type: 'text', body: 'Old', attachments: [file as never] });

    const editing = sut.edit('m1', 'New');
    const patch = await next((url) => url === '/api/messages/m1');
    expect(patch.request.body).toEqual({ ciphertext: CIPHERTEXT });
    expect(crypto.encrypt).toHaveBeenCalledWith('c1', ['u1', 'u2'], { type: 'text', body: 'New', clientId: mine.clientId, attachments: [file] });
    const edited = { ...mine, ciphertext: { ...CIPHERTEXT, ciphertext: 'AwgBEhAb' }, editedAt: '2026-01-01T10:05:00.000Z' };
    patch.flush(edited);
    await editing;
    expect(decryptor.contentOf(sut.messages()[0].message)).toMatchObject({ kind: 'ok', content: { body: 'New' } });
  });

  it('keeps sending a body in a plaintext conversation', async () => {
    await openConversation(setup, [], null, { encrypted: false });
    const sending = sut.send('Plain');
    const post = await next((url) => url === '/api/conversations/c1/messages');
    expect(post.request.body).toMatchObject({ body: 'Plain' });
    expect(post.request.body).not.toHaveProperty('ciphertext');
    expect(crypto.encrypt).not.toHaveBeenCalled();
    post.flush(message({ id: 'm1', senderId: 'u1', clientId: post.request.body.clientId, body: 'Plain' }));
    await sending;
  });

  it('turns encryption on for good, and follows the peer turning it on', async () => {
    await openConversation(setup, [], null, { encrypted: false });
    const turning = sut.turnOnEncryption();
    const patch = await next((url) => url === '/api/conversations/c1');
    expect(patch.request.body).toEqual({ encrypted: true });
    patch.flush({ id: 'c1', peer: { id: 'u2', username: 'bob', displayName: 'Bob' }, defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend', peerLastReadSeq: 0, encrypted: true });
    await turning;
    expect(sut.encrypted()).toBe(true);

    realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u2', defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend', encrypted: false });
    expect(sut.encrypted()).toBe(true);
  });

  it('does not believe an answer that turns encryption back off, and keeps encrypting', async () => {
    await openConversation(setup, [], null, { encrypted: true });
    const saving = sut.setDefaultTimer({ seconds: 60, mode: 'afterSend' });
    (await next((url) => url === '/api/conversations/c1')).flush({
      id: 'c1', peer: { id: 'u2', username: 'bob', displayName: 'Bob' }, defaultExpiresInSeconds: 60, defaultExpiryMode: 'afterSend', peerLastReadSeq: 0, encrypted: false,
    });
    await saving;
    expect(sut.encrypted()).toBe(true);
    const sending = sut.send('Still secret');
    const post = await next((url) => url === '/api/conversations/c1/messages');
    expect(post.request.body).not.toHaveProperty('body');
    post.flush(message({ id: 'm1', senderId: 'u1', clientId: post.request.body.clientId, body: null, ciphertext: CIPHERTEXT }));
    await sending;
  });

  it('counts a conversation whose history holds ciphertext as encrypted, whatever the server says', async () => {
    await openConversation(setup, [message({ id: 'm1', senderId: 'u2', body: null, ciphertext: CIPHERTEXT })], null, { encrypted: false });
    expect(sut.encrypted()).toBe(true);
  });

  it('encrypts where this device has sent encrypted before, even after a reload and a server saying plaintext', async () => {
    crypto.knowsEncrypted.mockResolvedValue(true);
    await openConversation(setup, [], null, { encrypted: false });
    const sending = sut.send('Not in the clear');
    const post = await next((url) => url === '/api/conversations/c1/messages');
    expect(crypto.knowsEncrypted).toHaveBeenCalledWith('c1');
    expect(post.request.body).toMatchObject({ ciphertext: CIPHERTEXT });
    expect(post.request.body).not.toHaveProperty('body');
    post.flush(message({ id: 'm1', senderId: 'u1', clientId: post.request.body.clientId, body: null, ciphertext: CIPHERTEXT }));
    await sending;
    expect(sut.encrypted()).toBe(true);
  });

  it('hears that the peer turned encryption on', async () => {
    await openConversation(setup, [], null, { encrypted: false });
    realtime.serve('conversation.updated', { conversationId: 'c1', userId: 'u2', defaultExpiresInSeconds: null, defaultExpiryMode: 'afterSend', encrypted: true });
    expect(sut.encrypted()).toBe(true);
    expect(setup.toasts.info).toHaveBeenCalledWith('Bob turned on end-to-end encryption.');
    expect(setup.toasts.info).toHaveBeenCalledTimes(1);
  });

  it('forgets what was decrypted of a message once it expires', async () => {
    await openConversation(setup, [message({ id: 'm1', body: null, ciphertext: CIPHERTEXT })], null, { encrypted: true });
    realtime.serve('message.expired', { conversationId: 'c1', messageIds: ['m1'] });
    expect(sut.messages()).toHaveLength(0);
    expect(crypto.forget).toHaveBeenCalledWith('m1');
  });
});
