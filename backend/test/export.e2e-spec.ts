import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Response } from 'supertest';
import { fromBufferPromise } from 'yauzl';
import { AttachmentsService } from '../src/attachments/attachments.service.js';
import { Storage, type StoredObject } from '../src/attachments/storage/storage.js';
import { uploadFile } from './helpers/attachments.js';
import { befriend, openConversation } from './helpers/friends.js';
import { png } from './helpers/media.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';
import { binary } from './helpers/binary.js';
import { SoftAuthenticator } from './helpers/webauthn.js';
import { E2eeTestDevice } from './helpers/e2ee-device.js';
import { createECDH } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

const MINUTE = 60_000;

/** Every entry of a zip, decompressed, by name. */
async function unzip(bytes: Buffer): Promise<Map<string, Buffer>> {
  const zip = await fromBufferPromise(bytes, { lazyEntries: true });
  const files = new Map<string, Buffer>();
  for await (const entry of zip.eachEntry()) {
    files.set(entry.fileName, await buffer(await zip.openReadStreamPromise(entry)));
  }
  return files;
}

/** All names and decompressed contents in one buffer, to search for what must never be exported. */
const everything = (files: Map<string, Buffer>) => Buffer.concat([...files].flatMap(([name, content]) => [Buffer.from(name), content]));

const json = (files: Map<string, Buffer>, name: string) => {
  const file = files.get(name);
  if (!file) throw new Error(`${name} is not in the zip (${[...files.keys()].join(', ')})`);
  return JSON.parse(file.toString('utf8'));
};

describe('data export (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-export-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir, PUSH_ENDPOINT_HOSTS: 'push.example.test' });
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const exportOf = (who: Registered) => t.http.get('/api/users/me/export').set(bearer(who.accessToken)).buffer(true).parse(binary);
  const upload = (who: Registered, content: Buffer, filename: string, contentType?: string) =>
    uploadFile(t.http, who, content, filename, contentType).expect(201);
  const send = async (who: Registered, conversationId: string, fields: object) => {
    const res = await t.http
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(who.accessToken))
      .send({ clientId: randomUUID(), ...fields })
      .expect(201);
    return res.body;
  };
  const signInAgain = async (...who: Registered[]) => {
    for (const user of who) {
      const res = await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200);
      user.accessToken = res.body.accessToken;
    }
  };
  const summaryOf = (user: Registered) => ({ id: user.id, username: user.username, displayName: expect.any(String), avatarVersion: null });

  describe('what it contains', () => {
    let alice: Registered;
    let bob: Registered;
    let charlie: Registered;
    let dave: Registered;
    let erin: Registered;
    let mallory: Registered;
    let frank: Registered;
    let conversationId: string;
    let res: Response;
    let files: Map<string, Buffer>;
    const sent: Record<string, { id: string; seq: number }> = {};
    const uploads: Record<string, { id: string; url: string }> = {};
    let passkeyCredentialId: string;

    beforeAll(async () => {
      [alice, bob, charlie, dave, erin, mallory, frank] = await Promise.all(Array.from({ length: 7 }, () => register(t.http)));
      await befriend(t.http, alice, bob);
      await befriend(t.http, bob, charlie);
      await t.http.post('/api/friends/requests').set(bearer(alice.accessToken)).send({ userId: dave.id }).expect(201);
      await t.http.post('/api/friends/requests').set(bearer(erin.accessToken)).send({ userId: alice.id }).expect(201);
      await t.http.put(`/api/blocks/${mallory.id}`).set(bearer(alice.accessToken)).expect(204);
      await t.http.put(`/api/blocks/${alice.id}`).set(bearer(frank.accessToken)).expect(204);
      conversationId = await openConversation(t.http, alice, bob);
      const bobAndCharlie = await openConversation(t.http, charlie, bob);

      sent.hello = await send(alice, conversationId, { body: 'hello bob, from alice' });
      sent.reply = await send(bob, conversationId, { body: 'hi alice, from bob' });
      uploads.picture = (await upload(alice, await png(), 'pic.png', 'image/png')).body;
      sent.picture = await send(alice, conversationId, { body: 'a picture', attachmentIds: [uploads.picture.id] });
      uploads.bobs = (await upload(bob, Buffer.from('file content that only bob uploaded'), 'bob-notes.txt')).body;
      sent.bobs = await send(bob, conversationId, { attachmentIds: [uploads.bobs.id] });
      uploads.draft = (await upload(alice, Buffer.from('an upload alice never sent'), 'draft.txt')).body;
      sent.regret = await send(alice, conversationId, { body: 'words alice regrets' });
      await t.http.delete(`/api/messages/${sent.regret.id}`).set(bearer(alice.accessToken)).expect(204);
      uploads.timed = (await upload(alice, Buffer.from('bytes of a self-destructing file'), 'boom.txt')).body;
      sent.timed = await send(alice, conversationId, {
        body: 'this self-destructs in 30 s',
        attachmentIds: [uploads.timed.id],
        expiresInSeconds: 30,
      });
      // Alice has not read it, so its clock has not started.
      sent.unread = await send(bob, conversationId, { body: 'read me, then I go', expiresInSeconds: 30, expiryMode: 'afterRead' });
      await t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(alice.accessToken)).send({ messageId: sent.reply.id }).expect(204);
      await send(charlie, bobAndCharlie, { body: 'charlie whispers to bob only' });
      const passkeyOptions = await t.http.post('/api/auth/passkeys/registration/options').set(bearer(alice.accessToken)).expect(200);
      const { credential } = new SoftAuthenticator().create(passkeyOptions.body);
      passkeyCredentialId = (credential as { id: string }).id;
      await t.http.post('/api/auth/passkeys').set(bearer(alice.accessToken)).send({ name: 'Alice laptop', credential }).expect(201);

      t.clock.advance(30_000);
      res = await exportOf(alice);
      files = res.status === 200 ? await unzip(res.body as Buffer) : new Map();
    });

    it('answers a zip download that is never cached', () => {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/zip');
      const date = t.clock.now().toISOString().slice(0, 10);
      expect(res.headers['content-disposition']).toBe(`attachment; filename="iris-export-${alice.username}-${date}.zip"`);
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('holds the readme, profile, friends, the one conversation and only the files alice uploaded that still count', () => {
      expect([...files.keys()].sort()).toEqual(
        [
          'README.txt',
          'profile.json',
          'friends.json',
          `conversations/${conversationId}.json`,
          `attachments/${uploads.picture.id}-pic.png`,
          `attachments/${uploads.draft.id}-draft.txt`,
        ].sort(),
      );
      expect(files.get('README.txt')!.toString()).toContain('iris-export/1');
    });

    it('has the profile and sessions, and nowhere a password hash, token hash, refresh token or storage key', async () => {
      const me = (await t.http.get('/api/users/me').set(bearer(alice.accessToken)).expect(200)).body;
      const profile = json(files, 'profile.json');
      expect(profile).toMatchObject({ format: 'iris-export/1', exportedAt: t.clock.now().toISOString(), user: me });
      expect(Object.keys(profile.user).sort()).toEqual(['avatarVersion', 'createdAt', 'displayName', 'id', 'role', 'statusMessage', 'updatedAt', 'username']);
      expect(profile.sessions).toHaveLength(1);
      expect(Object.keys(profile.sessions[0]).sort()).toEqual(['createdAt', 'deviceName', 'expiresAt', 'id', 'ip', 'lastUsedAt', 'revokedAt']);
      expect(profile.sessions[0].revokedAt).toBeNull();
      expect(profile.passkeys).toEqual([{ id: expect.any(String), name: 'Alice laptop', createdAt: expect.any(String), lastUsedAt: null, backedUp: false }]);
      const [{ public_key: publicKey }] = await t.db.query(`SELECT public_key FROM user_passkeys WHERE user_id = $1`, [alice.id]);
      expect(everything(files).includes(passkeyCredentialId)).toBe(false);
      expect(everything(files).includes((publicKey as Buffer).toString('base64'))).toBe(false);

      const [{ storage_key: storageKey }] = await t.db.query(`SELECT storage_key FROM attachments WHERE id = $1`, [uploads.picture.id]);
      const raw = res.body as Buffer;
      for (const secret of ['passwordHash', 'password_hash', '$argon2', 'tokenHash', 'token_hash', 'storageKey', alice.refreshToken, storageKey]) {
        expect(everything(files).includes(secret)).toBe(false);
        expect(raw.includes(secret)).toBe(false);
      }
    });

    it("lists friends, requests both ways and alice's blocks, but not who blocked her", () => {
      const friends = json(files, 'friends.json');
      expect(friends).toEqual({
        friends: [{ user: summaryOf(bob), since: expect.any(String) }],
        friendRequests: {
          incoming: [{ id: expect.any(String), from: summaryOf(erin), to: summaryOf(alice), createdAt: expect.any(String) }],
          outgoing: [{ id: expect.any(String), from: summaryOf(alice), to: summaryOf(dave), createdAt: expect.any(String) }],
        },
        blocks: [{ user: summaryOf(mallory), since: expect.any(String) }],
      });
      expect(everything(files).includes(frank.id)).toBe(false);
      expect(everything(files).includes(frank.username)).toBe(false);
    });

    it('has both sides of the conversation exactly as history shows them, the expired message left out before the sweep', async () => {
      const conversation = json(files, `conversations/${conversationId}.json`);
      expect(conversation).toMatchObject({
        id: conversationId,
        peer: summaryOf(bob),
        defaultExpiresInSeconds: null,
        defaultExpiryMode: 'afterSend',
        encrypted: false,
        lastReadSeq: sent.reply.seq,
      });
      const history = (await t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).expect(200)).body;
      // As history shows them, each labelled plaintext (encrypted: false).
      expect(conversation.messages).toEqual(history.items.map((m: object) => ({ ...m, encrypted: false })));
      expect(conversation.messages.map((m: { id: string }) => m.id)).toEqual(
        [sent.hello, sent.reply, sent.picture, sent.bobs, sent.regret, sent.unread].map((m) => m.id),
      );
      expect(conversation.messages.find((m: { id: string }) => m.id === sent.picture.id).attachments).toEqual([uploads.picture]);
      expect(conversation.messages.find((m: { id: string }) => m.id === sent.bobs.id).attachments).toEqual([uploads.bobs]);

      expect(await t.db.query(`SELECT 1 FROM messages WHERE id = $1`, [sent.timed.id])).toHaveLength(1);
      expect(everything(files).includes('this self-destructs')).toBe(false);
      expect(everything(files).includes(sent.timed.id)).toBe(false);
    });

    it('shows a deleted message only as a tombstone', () => {
      const { messages } = json(files, `conversations/${conversationId}.json`);
      expect(messages.find((m: { id: string }) => m.id === sent.regret.id)).toMatchObject({ deleted: true, body: null, attachments: [] });
      expect(everything(files).includes('words alice regrets')).toBe(false);
    });

    it('has nothing of a conversation alice is not in', () => {
      expect(everything(files).includes('charlie whispers')).toBe(false);
      expect(everything(files).includes(charlie.id)).toBe(false);
    });

    it("holds alice's files byte for byte as a download gives them, and not bob's nor the expired message's", async () => {
      const picture = await t.http.get(uploads.picture.url).set(bearer(alice.accessToken)).buffer(true).parse(binary).expect(200);
      expect(files.get(`attachments/${uploads.picture.id}-pic.png`)).toEqual(picture.body);
      expect(files.get(`attachments/${uploads.draft.id}-draft.txt`)!.toString()).toBe('an upload alice never sent');

      expect([...files.keys()].some((name) => name.includes(uploads.bobs.id) || name.includes(uploads.timed.id))).toBe(false);
      expect(everything(files).includes('file content that only bob uploaded')).toBe(false);
      expect(everything(files).includes('bytes of a self-destructing file')).toBe(false);
    });

    it('allows one export per user in 10 minutes: 429 with Retry-After, another user is not held up, and it works again later', async () => {
      const limited = await exportOf(alice).expect(429);
      expect(JSON.parse((limited.body as Buffer).toString())).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(Number(limited.headers['retry-after'])).toBe(600);

      // Same IP, other user.
      await exportOf(bob).expect(200);

      t.clock.advance(10 * MINUTE - 1000);
      await signInAgain(alice);
      expect(Number((await exportOf(alice).expect(429)).headers['retry-after'])).toBe(1);
      t.clock.advance(1000);
      const again = await exportOf(alice).expect(200);
      expect((await unzip(again.body as Buffer)).has('profile.json')).toBe(true);
    });
  });

  it('refuses anonymous callers with 401', async () => {
    const res = await t.http.get('/api/users/me/export').expect(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
  });

  it('holds the encryption identity, the key backup (ciphertext, labelled), 2FA state, push hosts and mutes; never a secret', async () => {
    const gina = await register(t.http);
    const hank = await register(t.http);
    await befriend(t.http, gina, hank);
    const conversation = await openConversation(t.http, gina, hank);
    await openConversation(t.http, gina, await befriendNew(gina));
    await t.http.put(`/api/conversations/${conversation}/mute`).set(bearer(gina.accessToken)).send({ muted: true }).expect(200);
    const device = await E2eeTestDevice.create(t, gina.accessToken);
    let version: string;
    try {
      await device.bootstrapCrossSigning();
      ({ version } = await device.enableBackup());
      await device.encrypt(`!${conversation}:iris`, [device.userId], 'kept in the backup');
      await device.backUp();
    } finally {
      device.close();
    }
    const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(gina.accessToken)).expect(200);
    const code = new TOTP({ secret: Secret.fromBase32(setup.body.secret) }).generate({ timestamp: t.clock.now().getTime() });
    const { recoveryCodes } = (await t.http.post('/api/auth/2fa/totp/enable').set(bearer(gina.accessToken)).send({ code, password: PASSWORD }).expect(200)).body;
    const ecdh = createECDH('prime256v1');
    const keys = { p256dh: ecdh.generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') };
    const endpoint = `https://push.example.test/wpush/${randomBytes(12).toString('hex')}`;
    await t.http.post('/api/push/subscriptions').set(bearer(gina.accessToken)).send({ endpoint, keys }).expect(201);

    const files = await unzip((await exportOf(gina).expect(200)).body as Buffer);

    const profile = json(files, 'profile.json');
    const stored = await t.db.query(`SELECT usage, key FROM e2ee_cross_signing_keys WHERE user_id = $1`, [gina.id]);
    expect(Object.keys(profile.crossSigningKeys).sort()).toEqual(['master', 'self_signing', 'user_signing']);
    for (const row of stored) expect(profile.crossSigningKeys[row.usage]).toEqual(row.key);
    expect(profile.keyBackup).toMatchObject({ version: version!, algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', count: 1, auth_data: { public_key: expect.any(String) } });
    expect(profile.twoFactor).toEqual({ totpEnabled: true, setupStartedAt: expect.any(String), enabledAt: expect.any(String), recoveryCodesLeft: 10 });
    expect(profile.pushSubscriptions).toEqual([{ endpointHost: 'push.example.test', createdAt: expect.any(String) }]);
    expect(profile.mutedConversations).toEqual([conversation]);
    expect(json(files, `conversations/${conversation}.json`).muted).toBe(true);

    const backup = json(files, 'key-backup.json');
    expect(backup.version).toBe(version!);
    expect(backup.sessions).toEqual([
      expect.objectContaining({ roomId: `!${conversation}:iris`, sessionId: expect.any(String), encrypted: true, session_data: { ephemeral: expect.any(String), ciphertext: expect.any(String), mac: expect.any(String) } }),
    ]);
    const all = everything(files);
    for (const secret of [setup.body.secret, ...recoveryCodes, keys.p256dh, keys.auth, endpoint]) expect(all.includes(secret)).toBe(false);
  });

  async function befriendNew(user: Registered): Promise<Registered> {
    const other = await register(t.http);
    await befriend(t.http, user, other);
    return other;
  }

  it('writes a long conversation oldest first across several batches, without its expired messages', async () => {
    const [gina, hank] = [await register(t.http), await register(t.http)];
    await befriend(t.http, gina, hank);
    const conversationId = await openConversation(t.http, gina, hank);
    // Every 100th message has expired, none swept yet.
    await t.db.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at, expires_in_seconds, expiry_mode, expires_at)
       SELECT $1, g, CASE WHEN g % 2 = 0 THEN $2 ELSE $3 END::uuid, gen_random_uuid(), 'bulk ' || g, $4::timestamptz + g * interval '1 millisecond',
              CASE WHEN g % 100 = 0 THEN 60 END, CASE WHEN g % 100 = 0 THEN 'afterSend' END,
              CASE WHEN g % 100 = 0 THEN $4::timestamptz - interval '1 second' END
         FROM generate_series(1, 1234) g`,
      [conversationId, gina.id, hank.id, t.clock.now()],
    );
    await t.db.query(`UPDATE conversations SET last_seq = 1234 WHERE id = $1`, [conversationId]);

    const files = await unzip((await exportOf(gina).expect(200)).body as Buffer);

    const { messages } = json(files, `conversations/${conversationId}.json`);
    const expected = Array.from({ length: 1234 }, (_, i) => i + 1).filter((seq) => seq % 100 !== 0);
    expect(messages.map((m: { seq: number }) => m.seq)).toEqual(expected);
    expect(messages.map((m: { body: string }) => m.body)).toEqual(expected.map((seq) => `bulk ${seq}`));
  });

  it('cuts the download short when a file fails to read half-way, logs why, and keeps serving', async () => {
    const ivy = await register(t.http);
    await upload(ivy, Buffer.from('x'.repeat(1000)), 'broken.txt');
    const storage = t.app.get(Storage);
    const failing: StoredObject = {
      size: 1000,
      body: Readable.from(
        (async function* () {
          yield Buffer.from('x'.repeat(100));
          throw new Error('the disk went away');
        })(),
      ),
    };
    const get = jest.spyOn(storage, 'get').mockResolvedValueOnce(failing);
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);

    try {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const outcome = await new Promise<{ status: number; complete: boolean; body: Buffer }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/api/users/me/export', headers: bearer(ivy.accessToken) }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', () => undefined);
          response.on('close', () => resolve({ status: response.statusCode!, complete: response.complete, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.end();
      });

      expect(get).toHaveBeenCalled();
      expect(outcome.status).toBe(200);
      expect(outcome.complete).toBe(false);
      await expect(unzip(outcome.body)).rejects.toThrow();
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('the disk went away'), expect.stringContaining('Error: the disk went away'));
      await t.http.get('/api/health').expect(200);
      await t.http.get('/api/users/me').set(bearer(ivy.accessToken)).expect(200);
    } finally {
      get.mockRestore();
      logged.mockRestore();
    }
  });

  it('stops reading the file when the client goes away mid-download', async () => {
    const kim = await register(t.http);
    await upload(kim, Buffer.from('y'.repeat(1000)), 'endless.txt');
    const endless = new Readable({
      read() {
        this.push(randomBytes(64 * 1024));
      },
    });
    const get = jest.spyOn(t.app.get(Storage), 'get').mockResolvedValueOnce({ body: endless, size: 1024 ** 3 });

    try {
      const { port } = t.app.getHttpServer().address() as AddressInfo;
      const closed = new Promise<void>((resolve) => endless.once('close', () => resolve()));
      await new Promise<void>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/api/users/me/export', headers: bearer(kim.accessToken) }, (response) => {
          let received = 0;
          response.on('error', () => undefined);
          response.on('data', (chunk: Buffer) => {
            received += chunk.length;
            if (received > 512 * 1024) {
              req.destroy();
              resolve();
            }
          });
        });
        req.on('error', () => undefined);
        req.on('close', () => resolve());
        req.end();
      });

      await closed;
      expect(endless.destroyed).toBe(true);
      await t.http.get('/api/health').expect(200);
    } finally {
      get.mockRestore();
    }
  });

  it('does not keep serving data written after the session that started it was ended', async () => {
    const alice = await register(t.http);
    const bob = await register(t.http);
    const carol = await register(t.http);
    await befriend(t.http, alice, bob);
    await befriend(t.http, alice, carol);
    const big = await openConversation(t.http, alice, bob);
    const later = await openConversation(t.http, alice, carol);
    // A long history, so a client that stops reading stalls the export inside the first conversation.
    const count = 25000;
    await t.db.query(
      `INSERT INTO messages (conversation_id, seq, sender_id, client_id, body, created_at)
       SELECT $1, g, $2, gen_random_uuid(),
              (SELECT string_agg(md5(random()::text || g::text || i::text), '') FROM generate_series(1, 125) i), $3
         FROM generate_series(1, ${count}) g`,
      [big, bob.id, t.clock.now()],
    );
    await t.db.query(`UPDATE conversations SET last_seq = ${count} WHERE id = $1`, [big]);

    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/users/me/export', headers: bearer(alice.accessToken) }, resolve);
      req.on('error', reject);
      req.end();
    });
    expect(response.statusCode).toBe(200);
    response.pause();
    const chunks: Buffer[] = [];
    // Wait until the server stops reading history: it is stalled on the client (backpressure).
    const batches = jest.spyOn(t.app.get(AttachmentsService), 'forMessages');
    for (let seen = -1; seen !== batches.mock.calls.length; ) {
      seen = batches.mock.calls.length;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    batches.mockRestore();

    // The user signs out everywhere (or changes the password, or erases the account) ...
    await t.http.post('/api/auth/logout').set(bearer(alice.accessToken)).send({}).expect((res) => expect(res.status).toBeLessThan(300));
    await t.http.get('/api/users/me').set(bearer(alice.accessToken)).expect(401);
    // ... and afterwards carol writes to alice.
    await t.http
      .post(`/api/conversations/${later}/messages`)
      .set(bearer(carol.accessToken))
      .send({ clientId: randomUUID(), body: 'written after alice signed out' })
      .expect(201);

    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    await new Promise((resolve) => response.on('close', resolve).resume());
    const complete = response.complete;
    const body = Buffer.concat(chunks);
    const leaked = complete && (await unzip(body)).get(`conversations/${later}.json`)?.toString('utf8').includes('written after alice signed out');
    expect({ complete, leaked }).not.toEqual({ complete: true, leaked: true });
  });
});
