import 'fake-indexeddb/auto';
import { CryptoService, type EncryptedMessage, megolmMessageIndex } from './crypto-service';
import { CryptoStoreError, cryptoStoreName, forgetOtherDevices } from './device-store';
import type { E2eeTransport, MatrixJson } from './e2ee-transport';
import { InMemoryE2eeServer, MemoryStorage } from './e2ee-transport.fixtures';
import type { MessageContent } from './message-content';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const CONVERSATION = '33333333-3333-4333-8333-333333333333';

/** The server's timeline of one conversation: what the messages API would store and answer. */
class Timeline {
  readonly messages: EncryptedMessage[] = [];

  async send(device: CryptoService, senderId: string, content: MessageContent): Promise<EncryptedMessage> {
    // As the client sends: its clientId inside the content, and the server files it under the same one.
    const clientId = content.clientId ?? crypto.randomUUID();
    const ciphertext = await device.encrypt(CONVERSATION, [ALICE, BOB], { ...content, clientId });
    const message: EncryptedMessage = {
      id: crypto.randomUUID(),
      clientId,
      conversationId: CONVERSATION,
      senderId,
      senderDeviceId: device.deviceId,
      createdAt: new Date().toISOString(),
      ciphertext,
    };
    this.messages.push(message);
    return message;
  }
}

const text = (body: string): MessageContent => ({ type: 'text', body });

/** Web Locks as browsers implement `ifAvailable`: the callback gets null when the lock is taken. */
class FakeLocks {
  private readonly held = new Set<string>();
  async request(name: string, _options: unknown, callback: (lock: unknown) => unknown): Promise<unknown> {
    if (this.held.has(name)) return callback(null);
    this.held.add(name);
    try {
      return await callback({ name, mode: 'exclusive' });
    } finally {
      this.held.delete(name);
    }
  }
}


describe('CryptoService', () => {
  let server: InMemoryE2eeServer;
  let timeline: Timeline;
  const started: CryptoService[] = [];

  async function device(userId: string, deviceId: string, transport?: E2eeTransport): Promise<CryptoService> {
    const sut = await CryptoService.start({
      transport: transport ?? server.transport(userId, deviceId),
      storage: new MemoryStorage(),
      persistent: false,
    });
    started.push(sut);
    return sut;
  }

  async function read(reader: CryptoService, message: EncryptedMessage): Promise<string> {
    const result = await reader.decrypt(message);
    return result.kind === 'ok' ? (result.content.body ?? '') : `(${result.message})`;
  }

  beforeEach(() => {
    server = new InMemoryE2eeServer();
    server.connect(ALICE, BOB);
    timeline = new Timeline();
  });

  afterEach(() => {
    for (const sut of started.splice(0)) sut.close();
  });

  describe('start', () => {
    it('uploads the device keys and one-time keys, and takes its ids from whoami', async () => {
      const sut = await device(ALICE, 'A1');

      expect(sut.userId).toBe(`@${ALICE}:iris`);
      expect(sut.deviceId).toBe('A1');
      expect(server.deviceKeys.get(`@${ALICE}:iris`)?.has('A1')).toBe(true);
      expect(server.log).toContain('A1: keys/upload');
      expect(sut.identityKey).toMatch(/^[A-Za-z0-9+/]{43}$/);
    });
  });

  describe('encrypt and decrypt', () => {
    it('lets two devices talk, and the sender read its own messages', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');

      const first = await timeline.send(a1, ALICE, text('hi bob'));
      await b1.sync();
      const reply = await timeline.send(b1, BOB, { type: 'text', body: 'hi alice', inReplyTo: first.id });
      await a1.sync();

      expect(await read(b1, first)).toBe('hi bob');
      expect(await read(a1, first)).toBe('hi bob');
      expect(await a1.decrypt(reply)).toEqual({ kind: 'ok', content: { type: 'text', body: 'hi alice', inReplyTo: first.id, clientId: reply.clientId }, senderDeviceId: 'B1' });
    });

    it('encrypts offline only with a key every known device already has, and never half-shares one', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      await expect(a1.encryptOffline(CONVERSATION, [ALICE, BOB], text('too early'))).rejects.toThrow();

      await timeline.send(a1, ALICE, text('online first'));
      await b1.sync();
      const calls = server.log.length;
      const ciphertext = await a1.encryptOffline(CONVERSATION, [ALICE, BOB], text('written offline'));
      expect(server.log.length).toBe(calls);
      const offline: EncryptedMessage = { id: crypto.randomUUID(), conversationId: CONVERSATION, senderId: ALICE, senderDeviceId: 'A1', createdAt: new Date().toISOString(), ciphertext };
      expect(await read(b1, offline)).toBe('written offline');

      // Bob signs in on a second device: the key must reach it first, which needs the network.
      const b2 = await device(BOB, 'B2');
      await a1.sync();
      await expect(a1.encryptOffline(CONVERSATION, [ALICE, BOB], text('not without B2'))).rejects.toThrow();
      const online = await timeline.send(a1, ALICE, text('back online'));
      await b2.sync();
      await b1.sync();
      expect(await read(b2, online)).toBe('back online');
      expect(await read(b1, online)).toBe('back online');
    });

    it('puts no plaintext in the ciphertext', async () => {
      const a1 = await device(ALICE, 'A1');
      await device(BOB, 'B1');

      const message = await timeline.send(a1, ALICE, text('the secret plan'));

      expect(message.ciphertext).toMatchObject({ algorithm: 'm.megolm.v1.aes-sha2' });
      expect(JSON.stringify(message.ciphertext)).not.toContain('secret');
    });

    it('shares the key with every device of both users, the sender’s other devices included', async () => {
      const a1 = await device(ALICE, 'A1');
      const a2 = await device(ALICE, 'A2');
      const b1 = await device(BOB, 'B1');
      const b2 = await device(BOB, 'B2');

      const message = await timeline.send(a1, ALICE, text('to all of you'));
      await Promise.all([a2.sync(), b1.sync(), b2.sync()]);

      expect(await Promise.all([a2, b1, b2].map((reader) => read(reader, message)))).toEqual(['to all of you', 'to all of you', 'to all of you']);
    });

    it('tells a device signed in later that earlier messages were sent before it, and reads the later ones', async () => {
      const a1 = await device(ALICE, 'A1');
      await device(BOB, 'B1');
      const before = await timeline.send(a1, ALICE, text('before'));

      const a3 = await device(ALICE, 'A3');
      await a1.sync();
      const after = await timeline.send(a1, ALICE, text('after'));
      await a3.sync();

      expect(await a3.decrypt(before)).toEqual({ kind: 'undecryptable', reason: 'no-key', message: 'Sent before this device signed in' });
      expect(await read(a3, after)).toBe('after');
    });

    it('rotates the key when a device is revoked, so the revoked device cannot read what follows', async () => {
      const a1 = await device(ALICE, 'A1');
      const a2 = await device(ALICE, 'A2');
      const b1 = await device(BOB, 'B1');
      const shared = await timeline.send(b1, BOB, text('while A2 was in'));
      await Promise.all([a1.sync(), a2.sync()]);
      expect(await read(a2, shared)).toBe('while A2 was in');

      server.removeDevice(ALICE, 'A2');
      await Promise.all([a1.sync(), b1.sync()]);
      const secret = await timeline.send(b1, BOB, text('after the revocation'));
      await a1.sync();

      expect((secret.ciphertext as MatrixJson)['session_id']).not.toBe((shared.ciphertext as MatrixJson)['session_id']);
      expect(await read(a1, secret)).toBe('after the revocation');
      // A2 keeps every old key and sees the raw timeline, as a stolen device would.
      await a2.sync();
      expect(await a2.decrypt(secret)).toMatchObject({ kind: 'undecryptable', reason: 'no-key' });
    });

    it('refuses to encrypt content recipients would reject', async () => {
      const a1 = await device(ALICE, 'A1');

      await expect(a1.encrypt(CONVERSATION, [BOB], { type: 'text' })).rejects.toThrow(/reject/);
    });

    it('reads nothing of a message moved into another conversation', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      const message = await timeline.send(a1, ALICE, text('for this conversation'));
      await b1.sync();

      const moved = { ...message, conversationId: '44444444-4444-4444-8444-444444444444' };

      expect(await b1.decrypt(moved)).toMatchObject({ kind: 'undecryptable', reason: 'no-key' });
    });

    it('does not accept a message whose claimed sender or device is not the one that encrypted it', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      const message = await timeline.send(a1, ALICE, text('from alice'));
      await b1.sync();

      expect(await b1.decrypt({ ...message, senderId: BOB })).toMatchObject({ kind: 'undecryptable', reason: 'unverified-sender' });
      expect(await b1.decrypt({ ...message, senderDeviceId: 'A9' })).toMatchObject({ kind: 'undecryptable', reason: 'unverified-sender' });
    });
  });

  describe('decrypt', () => {
    it.each([
      ['no ciphertext', null],
      ['a string', 'abc'],
      ['an empty object', {}],
      ['garbage in the fields', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: '!!!', session_id: 'x', sender_key: 'y', device_id: 'z' }],
      ['an unknown algorithm', { algorithm: 'rot13', ciphertext: 'abc', session_id: 'x' }],
    ])('never throws for %s, and says it cannot show it', async (_case, ciphertext) => {
      const b1 = await device(BOB, 'B1');
      const message: EncryptedMessage = { id: 'm1', conversationId: CONVERSATION, senderId: ALICE, createdAt: 'not a date', ciphertext };

      const result = await b1.decrypt(message);

      expect(result.kind).toBe('undecryptable');
      expect(result.kind === 'undecryptable' && result.message).toBeTruthy();
    });

    it('says a message is damaged when its ciphertext was tampered with', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      const message = await timeline.send(a1, ALICE, text('original'));
      await b1.sync();
      const body = (message.ciphertext as MatrixJson)['ciphertext'] as string;
      const at = Math.floor(body.length / 2);
      const flipped = body.slice(0, at) + (body[at] === 'A' ? 'B' : 'A') + body.slice(at + 1);
      const tampered = { ...message, ciphertext: { ...(message.ciphertext as MatrixJson), ciphertext: flipped } };

      expect(await b1.decrypt(tampered)).toMatchObject({ kind: 'undecryptable' });
      expect(await read(b1, message)).toBe('original');
    });

    it('answers a re-render from memory, and decrypts again when the ciphertext changed (an edit)', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      const message = await timeline.send(a1, ALICE, text('v1'));
      await b1.sync();

      const first = await b1.decrypt(message);
      const again = await b1.decrypt({ ...message });
      const edited = { ...message, ciphertext: await a1.encrypt(CONVERSATION, [BOB], text('v2')) };

      expect(again).toBe(first);
      expect(await read(b1, edited)).toBe('v2');
    });

    it('does not show a ciphertext again under another message id (a replay)', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      const first = await timeline.send(a1, ALICE, text('pay 10'));
      const second = await timeline.send(a1, ALICE, text('pay 20'));
      await b1.sync();

      expect(await read(b1, first)).toBe('pay 10');
      expect(await read(b1, second)).toBe('pay 20');
      b1.forget(first.id);
      expect(await read(b1, first)).toBe('pay 10');
      expect(await b1.decrypt({ ...first, id: crypto.randomUUID() })).toEqual({
        kind: 'undecryptable',
        reason: 'replayed',
        message: 'A copy of another message, not shown',
      });
    });

    it('does not show a ciphertext filed under another clientId, even on a device that never read it (a replay after a reload)', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      const b2 = await device(BOB, 'B2');
      const original = await timeline.send(a1, ALICE, text('pay 10'));
      await b1.sync();
      await b2.sync();

      expect(await read(b1, original)).toBe('pay 10');
      // b2 has no memory of the original (as after a reload): the clientId inside the ciphertext tells.
      expect(await b2.decrypt({ ...original, id: crypto.randomUUID(), clientId: crypto.randomUUID() })).toMatchObject({ kind: 'undecryptable', reason: 'replayed' });
      // Content from an earlier version, without a clientId inside, is still read.
      const older = { ...original, id: crypto.randomUUID(), clientId: crypto.randomUUID(), ciphertext: await a1.encrypt(CONVERSATION, [BOB], text('older')) };
      expect(await read(b1, older)).toBe('older');
    });

    it('decrypts again after forget (an expired message is gone from memory)', async () => {
      const a1 = await device(ALICE, 'A1');
      const message = await timeline.send(a1, ALICE, text('timed'));
      const first = await a1.decrypt(message);

      a1.forget(message.id);

      expect(await a1.decrypt(message)).not.toBe(first);
    });
  });

  describe('megolmMessageIndex', () => {
    it('reads the index of consecutive messages of one session', async () => {
      const a1 = await device(ALICE, 'A1');
      const indexes = [];
      for (const body of ['a', 'b', 'c']) indexes.push(megolmMessageIndex(((await timeline.send(a1, ALICE, text(body))).ciphertext as MatrixJson)['ciphertext'] as string));

      expect(indexes).toEqual([0, 1, 2]);
    });

    it('reads a multi-byte varint and refuses what is not a Megolm message', () => {
      const encode = (bytes: number[]) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, '');

      expect(megolmMessageIndex(encode([3, 0x08, 0xac, 0x02, 0x12]))).toBe(300);
      expect(megolmMessageIndex(encode([2, 0x08, 0x01]))).toBeNull();
      expect(megolmMessageIndex('***')).toBeNull();
    });
  });

  describe('sync', () => {
    it('follows limited until the server has nothing left, and acknowledges with since', async () => {
      const a1 = await device(ALICE, 'A1');
      const b1 = await device(BOB, 'B1');
      server.syncLimit = 1;
      const messages = [];
      // Each new Olm session and room key is a to-device event for B1.
      messages.push(await timeline.send(a1, ALICE, text('one')));
      const a2 = await device(ALICE, 'A2');
      await a2.sync();
      messages.push(await timeline.send(a2, ALICE, text('two')));
      const syncsBefore = server.log.filter((line) => line === 'B1: sync').length;

      await b1.sync();

      expect(server.log.filter((line) => line === 'B1: sync').length - syncsBefore).toBeGreaterThan(1);
      expect(await Promise.all(messages.map((message) => read(b1, message)))).toEqual(['one', 'two']);
      expect(b1.keysUpdated()).toBeGreaterThan(0);
    });

    it('folds wake-ups that come while it runs into one more round', async () => {
      const sut = await device(ALICE, 'A1');
      const before = server.log.filter((line) => line === 'A1: sync').length;

      await Promise.all([sut.sync(), sut.sync(), sut.sync(), sut.sync()]);

      expect(server.log.filter((line) => line === 'A1: sync').length - before).toBe(2);
    });
    it('asks the server before a send only when its wake-ups do not reach the device', async () => {
      const syncs = () => server.log.filter((line) => line === 'A1: sync').length;
      const b1 = await device(BOB, 'B1');
      let live = true;
      const a1 = await device(ALICE, 'A1', { ...server.transport(ALICE, 'A1'), wakeupsLive: () => live });
      await timeline.send(a1, ALICE, text('first'));

      const before = syncs();
      const live1 = await timeline.send(a1, ALICE, text('with the socket up'));
      expect(syncs() - before).toBe(0);

      live = false;
      await timeline.send(a1, ALICE, text('with the socket down'));
      expect(syncs() - before).toBe(1);
      await b1.sync();
      expect(await read(b1, live1)).toBe('with the socket up');
    });

    it('asks the server before a send after a failed sync, and when its last sync is 30 s old, wake-ups or not', async () => {
      const syncs = () => server.log.filter((line) => line === 'A1: sync').length;
      const transport = server.transport(ALICE, 'A1');
      let failing = false;
      const a1 = await device(ALICE, 'A1', {
        ...transport,
        wakeupsLive: () => true,
        sync: (since) => (failing ? Promise.reject(new Error('offline')) : transport.sync(since)),
      });
      await timeline.send(a1, ALICE, text('first'));

      failing = true;
      await expect(a1.sync()).rejects.toThrow('offline');
      failing = false;
      let before = syncs();
      await timeline.send(a1, ALICE, text('after a failed wake-up'));
      expect(syncs() - before).toBe(1);

      const now = Date.now();
      const clock = vi.spyOn(Date, 'now').mockReturnValue(now + 31_000);
      try {
        before = syncs();
        await timeline.send(a1, ALICE, text('half a minute later'));
        expect(syncs() - before).toBe(1);
        await timeline.send(a1, ALICE, text('right after'));
        expect(syncs() - before).toBe(1);
      } finally {
        clock.mockRestore();
      }
    });
  });

  describe('pump', () => {
    it('never runs two pumps at once', async () => {
      let inFlight = 0;
      let most = 0;
      const inner = server.transport(ALICE, 'A1');
      const slow = <T>(work: () => Promise<T>) => async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        try {
          return await work();
        } finally {
          inFlight--;
        }
      };
      const transport: E2eeTransport = {
        ...inner,
        keysUpload: (body) => slow(() => inner.keysUpload(body))(),
        keysQuery: (body) => slow(() => inner.keysQuery(body))(),
      };
      const sut = await device(ALICE, 'A1', transport);
      most = 0;

      await Promise.all([sut.pump(), sut.pump(), sut.sync(), sut.pump()]);

      expect(most).toBeLessThanOrEqual(1);
    });

    it('rejects when the server fails, and sends the request again on the next pump', async () => {
      const inner = server.transport(ALICE, 'A1');
      let fail = true;
      const transport: E2eeTransport = {
        ...inner,
        keysUpload: (body) => (fail ? Promise.reject(new Error('offline')) : inner.keysUpload(body)),
      };

      await expect(device(ALICE, 'A1', transport)).rejects.toThrow('offline');
      fail = false;
      const sut = await device(ALICE, 'A1', transport);

      expect(server.deviceKeys.get(sut.userId)?.has('A1')).toBe(true);
    });
  });

  describe('one tab per device', () => {
    it('refuses a second tab while the first holds the device, and lets it in once the first closed', async () => {
      const locks = new FakeLocks() as unknown as LockManager;
      const storage = new MemoryStorage();
      const start = () => CryptoService.start({ transport: server.transport(ALICE, 'L1'), storage, persistent: true, locks });
      const first = await start();
      const identity = first.identityKey;

      await expect(start()).rejects.toMatchObject({ code: 'E2EE_IN_USE' });
      first.close();
      const second = await start();

      expect(second.identityKey).toBe(identity);
      await second.signOut();
    });
  });

  describe('the IndexedDB store', () => {
    async function persistentDevice(storage: MemoryStorage, deviceId: string): Promise<CryptoService> {
      return CryptoService.start({ transport: server.transport(ALICE, deviceId), storage, persistent: true });
    }

    async function databaseNames(): Promise<string[]> {
      return (await indexedDB.databases()).map((database) => database.name!);
    }

    it('keeps the identity across a restart, under a random passphrase kept per device', async () => {
      const storage = new MemoryStorage();
      const first = await persistentDevice(storage, 'P1');
      const identity = first.identityKey;
      first.close();

      const second = await persistentDevice(storage, 'P1');

      expect(second.identityKey).toBe(identity);
      expect(storage.getItem('iris.e2ee.P1.passphrase')).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(await databaseNames()).toContain(`${cryptoStoreName('P1')}::matrix-sdk-crypto`);
      second.close();
    });

    it('remembers across a restart which conversations it sent encrypted in', async () => {
      const storage = new MemoryStorage();
      const first = await persistentDevice(storage, 'P9');
      expect(await first.knowsEncrypted(CONVERSATION)).toBe(false);
      await first.encrypt(CONVERSATION, [ALICE, BOB], text('once encrypted'));
      expect(await first.knowsEncrypted(CONVERSATION)).toBe(true);
      first.close();

      const second = await persistentDevice(storage, 'P9');
      expect(await second.knowsEncrypted(CONVERSATION)).toBe(true);
      expect(await second.knowsEncrypted('44444444-4444-4444-8444-444444444444')).toBe(false);
      second.close();
    });

    it('deletes the keys other devices left in the browser, and keeps those of one still open in another tab', async () => {
      const locks = new FakeLocks() as unknown as LockManager;
      const storage = new MemoryStorage();
      const start = (deviceId: string) => CryptoService.start({ transport: server.transport(ALICE, deviceId), storage, persistent: true, locks });
      (await start('Q1')).close(); // signed out elsewhere while no tab was open: its keys stayed
      const openElsewhere = await start('Q2');
      const current = await start('Q3');

      const forgotten = await forgetOtherDevices('Q3', { storage, locks });

      // (Stores earlier specs left in this IndexedDB go too.)
      expect(forgotten).toContain('Q1');
      expect(forgotten).not.toContain('Q2');
      expect(forgotten).not.toContain('Q3');

      const names = await databaseNames();
      expect(names.filter((name) => name.startsWith(cryptoStoreName('Q1')))).toEqual([]);
      expect(names).toContain(`${cryptoStoreName('Q2')}::matrix-sdk-crypto`);
      expect(names).toContain(`${cryptoStoreName('Q3')}::matrix-sdk-crypto`);
      expect(storage.getItem('iris.e2ee.Q1.passphrase')).toBeNull();
      expect(storage.getItem('iris.e2ee.Q2.passphrase')).not.toBeNull();
      expect(storage.getItem('iris.e2ee.Q3.passphrase')).not.toBeNull();
      openElsewhere.close();
      current.close();
    });

    it('stores no plaintext in the browser', async () => {
      const storage = new MemoryStorage();
      const sut = await persistentDevice(storage, 'P2');
      await sut.decrypt(await timeline.send(sut, ALICE, text('never on disk')));

      expect([...storage.items.values()].join()).not.toContain('never on disk');
      sut.close();
    });

    it('deletes the store, the passphrase and the sync position at sign-out', async () => {
      const storage = new MemoryStorage();
      const sut = await persistentDevice(storage, 'P3');

      await sut.signOut();

      expect(storage.items.size).toBe(0);
      expect((await databaseNames()).filter((name) => name.startsWith(cryptoStoreName('P3')))).toEqual([]);
      await expect(sut.encrypt(CONVERSATION, [BOB], text('x'))).rejects.toThrow(/shut down/);
    });

    it('says the device is lost when the store outlived its passphrase', async () => {
      const storage = new MemoryStorage();
      (await persistentDevice(storage, 'P4')).close();
      storage.removeItem('iris.e2ee.P4.passphrase');

      await expect(persistentDevice(storage, 'P4')).rejects.toMatchObject({ code: 'E2EE_STORE_LOST' });
    });

    it('says the store cannot be opened with a wrong passphrase', async () => {
      const storage = new MemoryStorage();
      (await persistentDevice(storage, 'P5')).close();
      storage.setItem('iris.e2ee.P5.passphrase', 'wrong');

      const error = await persistentDevice(storage, 'P5').catch((caught: unknown) => caught);

      expect(error).toBeInstanceOf(CryptoStoreError);
      expect(error).toMatchObject({ code: 'E2EE_STORE_UNREADABLE' });
    });
  });
});
