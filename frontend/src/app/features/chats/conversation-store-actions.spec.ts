import type { HttpTestingController } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import type { ConversationStore } from './conversation-store';
import { answerNotices, type ConversationStoreSetup, nextRequest, openConversation, setUpConversationStore } from './conversation-store.fixtures';
import { message } from './message.fixtures';

const CIPHERTEXT = { algorithm: 'm.megolm.v1.aes-sha2' as const, ciphertext: 'AwgAEhAb', session_id: 'S1' };

describe('ConversationStore replies and reactions', () => {
  let setup: ConversationStoreSetup;
  let sut: ConversationStore;
  let http: HttpTestingController;
  let crypto: { encrypt: ReturnType<typeof vi.fn>; decrypt: ReturnType<typeof vi.fn>; forget: ReturnType<typeof vi.fn>; knowsEncrypted: ReturnType<typeof vi.fn>; keysUpdated: ReturnType<typeof signal<number>> };
  const next = (match: (url: string) => boolean) => nextRequest(http, match);
  const target = message({ id: 'm1', seq: 1 });

  beforeEach(() => {
    crypto = { encrypt: vi.fn().mockResolvedValue(CIPHERTEXT), decrypt: vi.fn(), forget: vi.fn(), knowsEncrypted: vi.fn().mockResolvedValue(false), keysUpdated: signal(0) };
    const device = { service: signal(crypto), error: signal(null), ready: () => Promise.resolve(crypto) };
    setup = setUpConversationStore([{ provide: DeviceCrypto, useValue: device }]);
    ({ sut, http } = setup);
    sut.setVisibility(() => false);
  });

  afterEach(() => {
    answerNotices(http);
    http.verify();
  });

  describe('in a plaintext conversation', () => {
    it('sends a reply with relatesTo its target', async () => {
      await openConversation(setup, [target]);
      const sending = sut.send('Sure', [], 'm1');
      expect(sut.messages()[1].message).toMatchObject({ kind: 'message', relatesTo: 'm1', body: 'Sure' });
      const post = await next((url) => url === '/api/conversations/c1/messages');
      expect(post.request.body).toMatchObject({ body: 'Sure', relatesTo: 'm1' });
      expect(post.request.body).not.toHaveProperty('kind');
      post.flush(message({ id: 'm2', seq: 2, senderId: 'u1', clientId: post.request.body.clientId, body: 'Sure', relatesTo: 'm1' }));
      await sending;
    });

    it('sends a reaction as kind reaction with the emoji as its body', async () => {
      await openConversation(setup, [target]);
      const reacting = sut.react('m1', '👍');
      const post = await next((url) => url === '/api/conversations/c1/messages');
      expect(post.request.body).toMatchObject({ body: '👍', kind: 'reaction', relatesTo: 'm1' });
      post.flush(message({ id: 'r1', seq: 2, senderId: 'u1', clientId: post.request.body.clientId, body: '👍', kind: 'reaction', relatesTo: 'm1' }));
      await reacting;
      // The outbox hands the server's copy back once its drain (under the tabs' lock) has the answer.
      await vi.waitFor(() => expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m1', 'r1']));
    });

    it('drops the reactions to a message the peer deleted, as the server did', async () => {
      await openConversation(setup, [target, message({ id: 'r1', clientId: 'kr', seq: 2, kind: 'reaction', relatesTo: 'm1', body: '👍', senderId: 'u1' })]);
      setup.realtime.serve('message.deleted', { ...target, deleted: true, body: null });
      expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m1']);
    });

    it('drops the reactions to a message you deleted', async () => {
      const mine = message({ id: 'm1', senderId: 'u1', seq: 1 });
      await openConversation(setup, [mine, message({ id: 'r1', clientId: 'kr', seq: 2, kind: 'reaction', relatesTo: 'm1', body: '👍' })]);
      const removing = sut.remove('m1');
      (await next((url) => url === '/api/messages/m1')).flush(null);
      await removing;
      expect(sut.messages().map((entry) => entry.message.id)).toEqual(['m1']);
      expect(sut.messages()[0].message.deleted).toBe(true);
    });
  });

  describe('in an encrypted conversation', () => {
    it('puts the reply inside the ciphertext, with relatesTo in the clear', async () => {
      await openConversation(setup, [target], null, { encrypted: true });
      const sending = sut.send('Sure', [], 'm1');
      const post = await next((url) => url === '/api/conversations/c1/messages');
      expect(crypto.encrypt).toHaveBeenCalledWith('c1', ['u1', 'u2'], { type: 'text', body: 'Sure', inReplyTo: 'm1', clientId: post.request.body.clientId });
      expect(post.request.body).toMatchObject({ ciphertext: CIPHERTEXT, relatesTo: 'm1' });
      expect(post.request.body).not.toHaveProperty('body');
      post.flush(message({ id: 'm2', seq: 2, senderId: 'u1', clientId: post.request.body.clientId, body: null, ciphertext: CIPHERTEXT, relatesTo: 'm1' }));
      await sending;
    });

    it('puts the emoji of a reaction inside the ciphertext', async () => {
      await openConversation(setup, [target], null, { encrypted: true });
      const reacting = sut.react('m1', '🙏');
      const post = await next((url) => url === '/api/conversations/c1/messages');
      expect(crypto.encrypt).toHaveBeenCalledWith('c1', ['u1', 'u2'], { type: 'reaction', key: '🙏', clientId: post.request.body.clientId });
      expect(post.request.body).toMatchObject({ ciphertext: CIPHERTEXT, kind: 'reaction', relatesTo: 'm1' });
      expect(JSON.stringify(post.request.body)).not.toContain('🙏');
      post.flush(message({ id: 'r1', seq: 2, senderId: 'u1', clientId: post.request.body.clientId, body: null, ciphertext: CIPHERTEXT, kind: 'reaction', relatesTo: 'm1' }));
      await reacting;
    });
  });
});
