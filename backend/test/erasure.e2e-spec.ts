import { UserId } from '@matrix-org/matrix-sdk-crypto-wasm';
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response } from 'supertest';
import { Secret, TOTP } from 'otpauth';
import { E2eeTestDevice } from './helpers/e2ee-device.js';
import { befriend, openConversation } from './helpers/friends.js';
import { png } from './helpers/media.js';
import { SoftAuthenticator } from './helpers/webauthn.js';
import { closeSockets, connect, refusal } from './helpers/sockets.js';
import { createTestApp, type TestApp, testServerUrl } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

/** Lock-ordering races need real concurrent connections: PostgreSQL only (PGlite has one connection). */
const onPostgres = testServerUrl() ? it : it.skip;

const TEXT_TYPES = new Set(['text', 'character varying', 'character', 'citext', 'uuid', 'json', 'jsonb', 'USER-DEFINED']);

const SECOND_FACTOR_TABLES = ['user_totp', 'recovery_codes', 'login_challenges', 'user_passkeys', 'passkey_challenges'];

describe('GDPR erasure (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  let admin: Registered;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-erasure-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
    admin = await register(t.http);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
  });
  const e2eeDevices: E2eeTestDevice[] = [];
  afterEach(() => {
    closeSockets();
    for (const device of e2eeDevices.splice(0)) device.close();
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  /** Every row of every table whose text, uuid or JSON columns contain `needle`, as "table.column". */
  async function scan(needle: string): Promise<string[]> {
    const columns: { table_name: string; column_name: string; data_type: string }[] = await t.db.query(
      `SELECT c.table_name, c.column_name, c.data_type
         FROM information_schema.columns c JOIN information_schema.tables tb USING (table_schema, table_name)
        WHERE c.table_schema = 'public' AND tb.table_type = 'BASE TABLE'`,
    );
    const hits: string[] = [];
    for (const { table_name: table, column_name: column, data_type: type } of columns) {
      if (!TEXT_TYPES.has(type)) continue;
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM "${table}" WHERE "${column}"::text ILIKE '%' || $1 || '%'`, [needle]);
      if (n > 0) hits.push(`${table}.${column}`);
    }
    return hits;
  }

  const storedFiles = async () => {
    const names = await Promise.all(['originals', 'thumbnails'].map(async (dir) => (await readdir(join(uploadDir, dir))).map((f) => `${dir}/${f}`)));
    return names.flat();
  };
  const tableCounts = async () => {
    const tables: { table_name: string }[] = await t.db.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
    );
    const counts: Record<string, number> = {};
    for (const { table_name: table } of tables) counts[table] = (await t.db.query(`SELECT count(*)::int AS n FROM "${table}"`))[0].n;
    return counts;
  };
  const send = (who: Registered, conversationId: string, fields: object) =>
    t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(who.accessToken)).send({ clientId: randomUUID(), ...fields });
  const upload = async (who: Registered) =>
    (await t.http.post('/api/attachments').set(bearer(who.accessToken)).attach('file', await png(), 'photo.png').expect(201)).body;

  /**
   * A user with a bit of everything: friends, a conversation both ways with an edited message and
   * files from both sides, an unsent upload, pending requests both ways, blocks both ways, two sessions.
   */
  async function livedIn() {
    const subject = await register(t.http);
    const peer = await register(t.http);
    const friend = await register(t.http);
    const asked = await register(t.http);
    const asking = await register(t.http);
    const blocked = await register(t.http);
    const blocker = await register(t.http);
    await befriend(t.http, subject, peer);
    await befriend(t.http, friend, subject);
    const conversationId = await openConversation(t.http, subject, peer);

    const subjectFile = await upload(subject);
    const peerFile = await upload(peer);
    const edited = (await send(subject, conversationId, { body: 'first draft' }).expect(201)).body;
    await t.http.patch(`/api/messages/${edited.id}`).set(bearer(subject.accessToken)).send({ body: 'second draft' }).expect(200);
    await send(subject, conversationId, { body: 'a photo', attachmentIds: [subjectFile.id] }).expect(201);
    await send(peer, conversationId, { body: 'peer keeps this' }).expect(201);
    await send(peer, conversationId, { attachmentIds: [peerFile.id] }).expect(201);
    const lastPeer = (await send(peer, conversationId, { body: 'and this' }).expect(201)).body;
    await t.http.post(`/api/conversations/${conversationId}/read`).set(bearer(subject.accessToken)).send({ messageId: lastPeer.id }).expect(204);
    await upload(subject); // never sent
    // A profile picture, replaced once: the first one's files are gone already, the second's go with the account.
    await t.http.put('/api/users/me/avatar').set(bearer(subject.accessToken)).attach('file', await png(), 'me.png').expect(200);
    const avatar = await t.http.put('/api/users/me/avatar').set(bearer(subject.accessToken)).attach('file', await png(32, 48), 'me.png').expect(200);
    const avatarFiles = [`originals/${avatar.body.avatarVersion}`, `thumbnails/${avatar.body.avatarVersion}`];

    await t.http.post('/api/friends/requests').set(bearer(subject.accessToken)).send({ userId: asked.id }).expect(201);
    await t.http.post('/api/friends/requests').set(bearer(asking.accessToken)).send({ userId: subject.id }).expect(201);
    await t.http.put(`/api/blocks/${blocked.id}`).set(bearer(subject.accessToken)).expect(204);
    await t.http.put(`/api/blocks/${subject.id}`).set(bearer(blocker.accessToken)).expect(204);
    const secondDevice = await t.http.post('/api/auth/login').send({ username: subject.username, password: PASSWORD }).expect(200);

    const files = (await t.db.query(`SELECT storage_key, thumbnail_key FROM attachments WHERE uploader_id = $1`, [subject.id])).flatMap(
      (r: { storage_key: string; thumbnail_key: string | null }) => [r.storage_key, r.thumbnail_key].filter(Boolean),
    ) as string[];
    files.push(...avatarFiles);
    // Online on two devices, with a friend watching.
    const sockets = [await connect(t, subject.accessToken), await connect(t, secondDevice.body.accessToken)];
    const friendSocket = await connect(t, friend.accessToken);
    // Encryption keys on one device, and an Olm channel to the peer's device, with a Megolm key on its way.
    const subjectDevice = await E2eeTestDevice.create(t, subject.accessToken);
    const peerDevice = await E2eeTestDevice.create(t, peer.accessToken);
    e2eeDevices.push(subjectDevice, peerDevice);
    await subjectDevice.encrypt(`!${conversationId}:iris`, [subjectDevice.userId, peerDevice.userId], 'encrypted hello');
    // A Web Push subscription on each device, whose endpoints name the subject for the scan to find.
    for (const [token, device] of [[subject.accessToken, 1], [secondDevice.body.accessToken as string, 2]] as const) {
      const p256dh = createECDH('prime256v1');
      await t.http
        .post('/api/push/subscriptions')
        .set(bearer(token))
        .send({ endpoint: `https://fcm.googleapis.com/fcm/send/${subject.username}-${device}`, keys: { p256dh: p256dh.generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') } })
        .expect(201);
    }
    // A cross-signing identity that the peer verified, and a key backup holding that Megolm key.
    await subjectDevice.bootstrapCrossSigning();
    await peerDevice.bootstrapCrossSigning();
    const subjectMaster = (await peerDevice.post('/api/e2ee/keys/query', { device_keys: { [subjectDevice.userId]: [] } })) as { master_keys: Record<string, { keys: Record<string, string> }> };
    const masterKey = subjectMaster.master_keys[subjectDevice.userId];
    const usk = (await peerDevice.olm.crossSigningStatus()).hasUserSigning;
    expect(usk).toBe(true);
    await peerDevice.olm.updateTrackedUsers([new UserId(subjectDevice.userId)]);
    await peerDevice.flush();
    const identity = await peerDevice.olm.getIdentity(new UserId(subjectDevice.userId));
    await peerDevice.post('/api/e2ee/keys/signatures/upload', JSON.parse((await identity!.verify()).body));
    expect(Object.keys(masterKey.keys)).toHaveLength(1);
    await subjectDevice.enableBackup();
    await subjectDevice.backUp();
    const sessionIds = (await t.db.query(`SELECT id FROM sessions WHERE user_id = $1`, [subject.id])).map((r: { id: string }) => r.id) as string[];
    // Two-factor authentication on (a TOTP secret and ten recovery codes), and a sign-in waiting for its code.
    const setup = await t.http.post('/api/auth/2fa/totp/setup').set(bearer(subject.accessToken)).expect(200);
    const code = new TOTP({ secret: Secret.fromBase32(setup.body.secret) }).generate({ timestamp: t.clock.now().getTime() });
    await t.http.post('/api/auth/2fa/totp/enable').set(bearer(subject.accessToken)).send({ code, password: PASSWORD }).expect(200);
    expect((await t.http.post('/api/auth/login').send({ username: subject.username, password: PASSWORD }).expect(200)).body.mfaRequired).toBe(true);
    // A passkey, and a registration of another one left waiting for the authenticator.
    const passkeyOptions = await t.http.post('/api/auth/passkeys/registration/options').set(bearer(subject.accessToken)).expect(200);
    const { credential } = new SoftAuthenticator().create(passkeyOptions.body);
    await t.http.post('/api/auth/passkeys').set(bearer(subject.accessToken)).send({ name: `${subject.username} key`, credential }).expect(201);
    await t.http.post('/api/auth/passkeys/registration/options').set(bearer(subject.accessToken)).expect(200);
    for (const table of SECOND_FACTOR_TABLES) expect(await t.db.query(`SELECT 1 FROM ${table} WHERE user_id = $1`, [subject.id])).not.toHaveLength(0);
    return {
      subject,
      peer,
      friend,
      conversationId,
      files,
      secondDeviceToken: secondDevice.body.accessToken as string,
      peerFile,
      sockets,
      friendSocket,
      peerDevice,
      sessionIds,
    };
  }

  const expectedCounts = {
    messages: 2,
    attachments: 2,
    attachmentBytes: expect.any(Number),
    friendships: 2,
    friendRequests: 2,
    blocks: 2,
    sessions: 2,
    conversations: 1,
    e2eeDevices: 1,
  };

  async function expectForgotten(world: Awaited<ReturnType<typeof livedIn>>) {
    const { subject, peer, conversationId, files, secondDeviceToken, peerFile, sockets, friendSocket, peerDevice, sessionIds } = world;
    for (const socket of sockets) expect(await socket.disconnected()).toBe('io server disconnect');
    await friendSocket.waitFor<{ userId: string; online: boolean }>('presence', (event) => event.userId === subject.id && !event.online);
    await friendSocket.waitFor<{ userId: string }>('user.erased', (event) => event.userId === subject.id);
    expect((await refusal(t, { auth: { token: subject.accessToken } })).data?.code).toBe('SESSION_REVOKED');
    // The peer's device hears that the subject left; until it acknowledges that, the announcement is the
    // one row that names them (e2ee_device_list_changes), and it goes with the acknowledgement.
    await peerDevice.sync();
    expect(peerDevice.leftUsers()).toEqual([`@${subject.id}:iris`]);
    await peerDevice.sync();
    for (const table of ['e2ee_devices', 'e2ee_one_time_keys', 'e2ee_fallback_keys', 'e2ee_to_device_txns', 'push_subscriptions']) {
      expect({ table, rows: await t.db.query(`SELECT * FROM ${table} WHERE session_id = ANY($1::uuid[])`, [sessionIds]) }).toEqual({ table, rows: [] });
    }
    for (const table of ['e2ee_to_device_messages', 'e2ee_device_list_changes']) {
      const rows = await t.db.query(`SELECT * FROM ${table} WHERE recipient_session_id = ANY($1::uuid[])`, [sessionIds]);
      expect({ table, rows }).toEqual({ table, rows: [] });
    }
    for (const table of ['e2ee_cross_signing_keys', 'e2ee_backup_versions']) {
      expect({ table, rows: await t.db.query(`SELECT * FROM ${table} WHERE user_id = $1`, [subject.id]) }).toEqual({ table, rows: [] });
    }
    expect(await t.db.query(`SELECT * FROM e2ee_signatures WHERE target_user_id = $1 OR signer_user_id = $1`, [subject.id])).toEqual([]);
    expect(await t.db.query(`SELECT * FROM e2ee_backup_keys WHERE room_id = $1`, [`!${conversationId}:iris`])).toEqual([]);
    for (const table of SECOND_FACTOR_TABLES) expect({ table, rows: await t.db.query(`SELECT * FROM ${table} WHERE user_id = $1`, [subject.id]) }).toEqual({ table, rows: [] });
    expect(await scan(subject.id)).toEqual([]);
    expect(await scan(subject.username)).toEqual([]);
    const remaining = await storedFiles();
    for (const file of files) expect(remaining).not.toContain(file);
    expect(await t.db.query(`SELECT * FROM storage_deletions`)).toEqual([]);

    for (const token of [subject.accessToken, secondDeviceToken]) {
      await t.http.get('/api/users/me').set(bearer(token)).expect(401);
    }
    await t.http.post('/api/auth/refresh').send({ refreshToken: subject.refreshToken }).expect(401);
    await t.http.post('/api/auth/login').send({ username: subject.username, password: PASSWORD }).expect(401);

    const conversation = await t.http.get(`/api/conversations/${conversationId}`).set(bearer(peer.accessToken)).expect(200);
    expect(conversation.body.peer).toBeNull();
    expect(conversation.body.readOnly).toBe('peer-gone');
    const history = await t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(peer.accessToken)).expect(200);
    expect(history.body.items.map((m: { body: string | null; senderId: string }) => [m.senderId, m.body])).toEqual([
      [peer.id, 'peer keeps this'],
      [peer.id, null],
      [peer.id, 'and this'],
    ]);
    expect(history.body.items[1].attachments).toEqual([peerFile]);
    await t.http.get(peerFile.url).set(bearer(peer.accessToken)).expect(200);
    const friends = await t.http.get('/api/friends').set(bearer(world.friend.accessToken)).expect(200);
    expect(friends.body.items).toEqual([]);
  }

  it('erases a user who asks, with their password: nothing of them is left in any table or in storage', async () => {
    const world = await livedIn();
    const before = await storedFiles();
    expect(before).toEqual(expect.arrayContaining(world.files));

    const wrong = await t.http.delete('/api/users/me').set(bearer(world.subject.accessToken)).send({ password: 'not my password' }).expect(403);
    expect(wrong.body.code).toBe('WRONG_PASSWORD');
    await t.http.delete('/api/users/me').set(bearer(world.subject.accessToken)).send({}).expect(400);
    expect(await scan(world.subject.id)).not.toEqual([]);

    const res = await t.http.delete('/api/users/me').set(bearer(world.subject.accessToken)).send({ password: PASSWORD }).expect(200);
    expect(res.body).toEqual({ dryRun: false, counts: expectedCounts });
    expect(res.body.counts.attachmentBytes).toBeGreaterThan(0);

    await expectForgotten(world);
    const audit = await t.http.get('/api/admin/audit').set(bearer(admin.accessToken)).expect(200);
    expect(audit.body.items).toEqual([
      { id: expect.any(String), action: 'user.erased', actorKind: 'self', actorId: null, details: res.body.counts, createdAt: expect.any(String) },
    ]);
  });

  it('lets an admin erase a user: the dry run reports exactly what the erasure then removes, and changes nothing', async () => {
    const world = await livedIn();
    const before = { tables: await tableCounts(), files: await storedFiles() };

    const dryRun = await t.http.delete(`/api/admin/users/${world.subject.id}?dryRun=true`).set(bearer(admin.accessToken)).expect(200);
    expect(dryRun.body).toEqual({ dryRun: true, counts: expectedCounts });
    expect(await tableCounts()).toEqual(before.tables);
    expect(await storedFiles()).toEqual(before.files);
    await t.http.get('/api/users/me').set(bearer(world.subject.accessToken)).expect(200);

    const real = await t.http.delete(`/api/admin/users/${world.subject.id}`).set(bearer(admin.accessToken)).expect(200);
    expect(real.body).toEqual({ dryRun: false, counts: dryRun.body.counts });
    await expectForgotten(world);

    const audit = await t.http.get('/api/admin/audit').set(bearer(admin.accessToken)).expect(200);
    expect(audit.body.items.filter((e: { actorKind: string }) => e.actorKind === 'admin')).toEqual([
      expect.objectContaining({ action: 'user.erased', actorId: admin.id, details: real.body.counts }),
    ]);
    await t.http.delete(`/api/admin/users/${world.subject.id}`).set(bearer(admin.accessToken)).expect(404);
  });

  it('refuses to erase the last admin, by an admin or by themselves, with LAST_ADMIN', async () => {
    const admins = await t.db.query(`SELECT id FROM users WHERE role = 'admin'`);
    expect(admins).toEqual([{ id: admin.id }]);
    const byAdmin = await t.http.delete(`/api/admin/users/${admin.id}`).set(bearer(admin.accessToken)).expect(409);
    expect(byAdmin.body.code).toBe('LAST_ADMIN');
    const bySelf = await t.http.delete('/api/users/me').set(bearer(admin.accessToken)).send({ password: PASSWORD }).expect(409);
    expect(bySelf.body.code).toBe('LAST_ADMIN');
    await t.http.get('/api/users/me').set(bearer(admin.accessToken)).expect(200);
  });

  it('erases an admin while another remains, and forgets them as the actor of earlier erasures too', async () => {
    const second = await register(t.http);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [second.id]);
    const victim = await register(t.http);
    await t.http.delete(`/api/admin/users/${victim.id}`).set(bearer(second.accessToken)).expect(200);
    expect(await scan(second.id)).toContain('audit_events.actor_id');

    await t.http.delete(`/api/admin/users/${second.id}`).set(bearer(admin.accessToken)).expect(200);
    expect(await scan(second.id)).toEqual([]);
    expect(await scan(second.username)).toEqual([]);
  });

  it('answers 404 for an unknown user, 400 for a bad id or dryRun, and keeps admin routes from users (403) and strangers (401)', async () => {
    await t.http.delete(`/api/admin/users/${randomUUID()}`).set(bearer(admin.accessToken)).expect(404);
    await t.http.delete('/api/admin/users/not-a-uuid').set(bearer(admin.accessToken)).expect(400);
    await t.http.delete(`/api/admin/users/${randomUUID()}?dryRun=maybe`).set(bearer(admin.accessToken)).expect(400);
    const user = await register(t.http);
    for (const [method, path] of [
      ['get', '/api/admin/users'],
      ['get', '/api/admin/audit'],
      ['get', '/api/admin/jobs'],
      ['delete', `/api/admin/users/${admin.id}`],
    ] as const) {
      expect((await t.http[method](path).set(bearer(user.accessToken)).expect(403)).body.code).toBe('FORBIDDEN');
      await t.http[method](path).expect(401);
    }
  });

  it('lists users for admins with their counts, searchable and paginated', async () => {
    const someone = await register(t.http, { displayName: 'Zebra Findme' });
    const peer = await register(t.http);
    await befriend(t.http, someone, peer);
    const conversationId = await openConversation(t.http, someone, peer);
    const file = await upload(someone);
    await send(someone, conversationId, { body: 'one', attachmentIds: [file.id] }).expect(201);
    await send(someone, conversationId, { body: 'two' }).expect(201);

    const found = await t.http.get('/api/admin/users?search=zebra').set(bearer(admin.accessToken)).expect(200);
    expect(found.body.items).toEqual([
      expect.objectContaining({ id: someone.id, username: someone.username, displayName: 'Zebra Findme', role: 'user', messageCount: 2, attachmentBytes: file.size }),
    ]);
    expect(found.body.items[0].lastSeenAt).toEqual(expect.any(String));
    expect(found.body.items[0]).not.toHaveProperty('passwordHash');
    expect((await t.http.get('/api/admin/users?search=%25').set(bearer(admin.accessToken)).expect(200)).body.items).toEqual([]);

    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await t.http
        .get(`/api/admin/users?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        .set(bearer(admin.accessToken))
        .expect(200);
      for (const item of page.body.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.size).toBe((await t.db.query(`SELECT count(*)::int AS n FROM users`))[0].n);
  });

  const makeAdmin = async () => {
    const user = await register(t.http);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [user.id]);
    return user;
  };

  /** Starts a request now (supertest is lazy) and resolves with its response. */
  const start = (request: PromiseLike<Response>): Promise<Response> => Promise.resolve(request);

  /** Waits until `n` backends of this test database wait for a lock. */
  async function waitForLockWaiters(n: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const [{ waiting }] = await t.db.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting >= n) return;
      if (Date.now() > deadline) throw new Error(`only ${waiting} of ${n} backends wait for a lock`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Holds a row lock from a connection of its own until `release` is called. */
  async function holdRowLock(sql: string, params: unknown[]) {
    const runner = t.db.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    await runner.query(sql, params);
    return async () => {
      await runner.commitTransaction();
      await runner.release();
    };
  }

  describe('hostile input on the admin routes', () => {
    it('answers 400, not 500, to a search holding a NUL character', async () => {
      const res = await t.http.get('/api/admin/users').query({ search: 'ab\u0000c' }).set(bearer(admin.accessToken));
      expect(res.status).toBe(400);
    });

    it('treats % and \\ in the admin search literally', async () => {
      // (`_` is left out: usernames contain it.)
      for (const search of ['%', '\\', '\\%', '%\\']) {
        const res = await t.http.get('/api/admin/users').query({ search }).set(bearer(admin.accessToken)).expect(200);
        expect(res.body.items).toEqual([]);
      }
    });

    it('refuses odd dryRun values with 400', async () => {
      const victim = await register(t.http);
      for (const dryRun of ['1', 'TRUE', 'yes', '']) {
        await t.http.delete(`/api/admin/users/${victim.id}`).query({ dryRun }).set(bearer(admin.accessToken)).expect(400);
      }
      await t.http.delete(`/api/admin/users/${victim.id}?dryRun=true&dryRun=true`).set(bearer(admin.accessToken)).expect(400);
      await t.http.get('/api/users/me').set(bearer(victim.accessToken)).expect(200);
    });
  });

  describe('races with an erasure (PostgreSQL)', () => {
    onPostgres('two admins erasing each other while a third admin is being locked: no 500, at least one admin left', async () => {
      const admins = [await makeAdmin(), await makeAdmin(), await makeAdmin()].sort((x, y) => (x.id < y.id ? -1 : 1));
      const [first, a, b] = admins;
      // Stands in for a third erasure that is holding the admin rows a moment longer (its lockAndCheck).
      const release = await holdRowLock(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, [first.id]);
      const eraseB = start(t.http.delete(`/api/admin/users/${b.id}`).set(bearer(a.accessToken)));
      const eraseA = start(t.http.delete(`/api/admin/users/${a.id}`).set(bearer(b.accessToken)));
      await waitForLockWaiters(2);
      await release();
      const statuses = [(await eraseB).status, (await eraseA).status];
      expect(statuses).not.toContain(500);
      const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM users WHERE role = 'admin'`);
      expect(n).toBeGreaterThanOrEqual(1);
    });

    onPostgres('a message sent from another device while the sender erases their account: no 500 on either side', async () => {
      const alice = await register(t.http);
      const bob = await register(t.http);
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, alice, bob);
      // Anything that keeps the conversation row busy for a moment (bob's own send, say).
      const release = await holdRowLock(`SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, [conversationId]);
      const send = start(
        t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(alice.accessToken)).send({ clientId: randomUUID(), body: 'last words' }),
      );
      await waitForLockWaiters(1);
      const erase = start(t.http.delete('/api/users/me').set(bearer(alice.accessToken)).send({ password: PASSWORD }));
      await waitForLockWaiters(2);
      await release();
      const [sent, erased] = [await send, await erase];
      expect({ send: sent.status >= 500 ? sent.status : 'not 5xx', erase: erased.status }).toEqual({ send: 'not 5xx', erase: 200 });
    });

    onPostgres('a friend request to a user whose erasure is under way answers 201 or 404, never 500, and leaves nothing', async () => {
      const target = await register(t.http);
      const friend = await register(t.http);
      const asker = await register(t.http);
      await befriend(t.http, target, friend);
      const conversationId = await openConversation(t.http, target, friend);
      const release = await holdRowLock(`SELECT id FROM conversations WHERE id = $1 FOR UPDATE`, [conversationId]);
      // The erasure takes the target's row lock, then waits for the conversation row (ON DELETE SET NULL).
      const erase = start(t.http.delete(`/api/admin/users/${target.id}`).set(bearer(admin.accessToken)));
      await waitForLockWaiters(1);
      // The erasure locks the target's conversations before the target's row, so a request arriving now
      // either lands before the erasure (201, then erased with the account) or finds the user gone (404).
      const ask = start(t.http.post('/api/friends/requests').set(bearer(asker.accessToken)).send({ userId: target.id }));
      const answered = await Promise.race([ask.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 500))]);
      await release();
      expect((await erase).status).toBe(200);
      const answer = await ask;
      expect([201, 404]).toContain(answer.status);
      if (answered) expect(answer.status).toBe(201);
      expect(await t.db.query(`SELECT 1 FROM friend_requests WHERE from_user_id = $1`, [asker.id])).toEqual([]);
    });
  });
});
