import { DecryptionErrorCode } from '@matrix-org/matrix-sdk-crypto-wasm';
import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import pg from 'pg';
import { fromBufferPromise } from 'yauzl';
import { SessionLifecycleService } from '../src/auth/session-lifecycle.service.js';
import { E2eeCleanupJob } from '../src/e2ee/e2ee.job.js';
import { E2eeService } from '../src/e2ee/e2ee.service.js';
import { binary } from './helpers/binary.js';
import { E2eeTestDevice } from './helpers/e2ee-device.js';
import { befriend, openConversation } from './helpers/friends.js';
import { closeSockets, connect } from './helpers/sockets.js';
import { createTestApp, type TestApp, testServerUrl } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

const E2EE_TABLES = ['e2ee_devices', 'e2ee_one_time_keys', 'e2ee_fallback_keys', 'e2ee_to_device_messages', 'e2ee_to_device_txns', 'e2ee_device_list_changes'];
const matrixId = (user: Registered) => `@${user.id}:iris`;
const roomOf = (conversationId: string) => `!${conversationId}:iris`;
// Needs a second connection holding a lock while the server works: real PostgreSQL only.
const onPostgres = testServerUrl() ? it : it.skip;

describe('end-to-end encryption: devices, keys, to-device (e2e)', () => {
  let t: TestApp;
  const devices: E2eeTestDevice[] = [];
  const device = async (accessToken: string) => {
    const created = await E2eeTestDevice.create(t, accessToken);
    devices.push(created);
    return created;
  };
  const signIn = async (user: Registered) =>
    (await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200)).body.accessToken as string;
  /** Rows of the e2ee tables that belong to this session (as device, recipient or transaction). */
  const rowsOfSession = async (sessionId: string) => {
    const counts: Record<string, number> = {};
    for (const table of E2EE_TABLES) {
      const column = table === 'e2ee_to_device_messages' || table === 'e2ee_device_list_changes' ? 'recipient_session_id' : 'session_id';
      counts[table] = (await t.db.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [sessionId]))[0].n;
    }
    return counts;
  };
  const none = Object.fromEntries(E2EE_TABLES.map((table) => [table, 0]));

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(() => {
    closeSockets();
    for (const d of devices.splice(0)) d.close();
  });
  afterAll(() => t.close());

  async function friendsWithConversation() {
    const alice = await register(t.http);
    const bob = await register(t.http);
    await befriend(t.http, alice, bob);
    const room = roomOf(await openConversation(t.http, alice, bob));
    return { alice, bob, room };
  }

  it('tells a device who it is in Matrix ids: its user and its session', async () => {
    const alice = await register(t.http);
    const res = await t.http.get('/api/e2ee/whoami').set(bearer(alice.accessToken)).expect(200);
    expect(res.body).toEqual({ user_id: matrixId(alice), device_id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const rows = await t.db.query(`SELECT id FROM sessions WHERE user_id = $1`, [alice.id]);
    expect(rows.map((r: { id: string }) => r.id)).toEqual([res.body.device_id]);
  });

  it('lets alice share a Megolm key with bob over to-device and bob decrypt her message, woken by e2ee.sync', async () => {
    const { alice, bob, room } = await friendsWithConversation();
    const a1 = await device(alice.accessToken);
    const b1 = await device(bob.accessToken);
    const bobSocket = await connect(t, bob.accessToken);

    const event = await a1.encrypt(room, [a1.userId, b1.userId], 'hi bob');
    await bobSocket.waitFor('e2ee.sync');
    expect(await b1.decrypt(room, event)).toBe('hi bob');
    // The reply goes the other way on the same Olm channel.
    expect(await a1.decrypt(room, await b1.encrypt(room, [a1.userId, b1.userId], 'hi alice'))).toBe('hi alice');

    // What bob's device acknowledged is gone; one-time keys were claimed and counted.
    await b1.sync();
    expect((await t.db.query(`SELECT count(*)::int AS n FROM e2ee_to_device_messages WHERE recipient_session_id = $1`, [b1.deviceId]))[0].n).toBe(0);
    const sync = b1.syncs.at(-1)!;
    expect(sync).toMatchObject({ limited: false, to_device: { events: [] }, device_unused_fallback_key_types: ['signed_curve25519'] });
    expect(sync.device_one_time_keys_count.signed_curve25519).toBeGreaterThan(0);
  });

  it('serves a second device of alice and bob alike, and keeps a signed-out device out of what is sent after', async () => {
    const { alice, bob, room } = await friendsWithConversation();
    const a1 = await device(alice.accessToken);
    const b1 = await device(bob.accessToken);
    const members = [a1.userId, b1.userId];
    const first = await a1.encrypt(room, members, 'before the second device');
    expect(await b1.decrypt(room, first)).toBe('before the second device');

    const a2 = await device(await signIn(alice));
    await b1.sync();
    expect(b1.changedUsers()).toContain(a1.userId);
    await a1.sync();
    expect(a1.changedUsers()).toContain(a1.userId);

    const second = await a1.encrypt(room, members, 'three devices read this');
    expect(await b1.decrypt(room, second)).toBe('three devices read this');
    expect(await a2.decrypt(room, second)).toBe('three devices read this');
    // a2 got the Megolm session as it stood when it joined: what came before is out of its reach.
    expect(await a2.decryptError(room, first)).toBe(DecryptionErrorCode.UnknownMessageIndex);

    // a2 signs out: its keys and queue go, and alice's other device and bob hear her device list changed.
    await t.http.post('/api/auth/logout').set(bearer(a2.accessToken)).send({}).expect(204);
    expect(await rowsOfSession(a2.deviceId)).toEqual(none);
    const changesBefore = [a1.changedUsers().length, b1.changedUsers().length];
    await b1.sync();
    await a1.sync();
    expect(b1.changedUsers().slice(changesBefore[1])).toEqual([a1.userId]);
    expect(a1.changedUsers().slice(changesBefore[0])).toEqual([a1.userId]);
    const keys = await t.http
      .post('/api/e2ee/keys/query')
      .set(bearer(bob.accessToken))
      .send({ device_keys: { [a1.userId]: [] } })
      .expect(200);
    expect(Object.keys(keys.body.device_keys[a1.userId])).toEqual([a1.deviceId]);

    const third = await a1.encrypt(room, members, 'after the sign-out');
    expect((third.content as { session_id: string }).session_id).not.toBe((second.content as { session_id: string }).session_id);
    expect(await b1.decrypt(room, third)).toBe('after the sign-out');
    // The signed-out device keeps its machine and the raw event, but never got the new key.
    await t.http.get('/api/e2ee/sync').set(bearer(a2.accessToken)).expect(401);
    expect(await a2.decryptError(room, third)).toBe(DecryptionErrorCode.MissingRoomKey);
    expect(await a2.decrypt(room, second, { sync: false })).toBe('three devices read this');
  });

  it('deletes the keys and queues of every other device on a password change, keeps the caller’s, and tells the contacts', async () => {
    const { alice, bob, room } = await friendsWithConversation();
    const a1 = await device(alice.accessToken);
    const a2 = await device(await signIn(alice));
    const b1 = await device(bob.accessToken);
    await a1.encrypt(room, [a1.userId, b1.userId], 'queued for both');
    await b1.sync();
    const seen = b1.changedUsers().length;

    const res = await t.http
      .put('/api/users/me/password')
      .set(bearer(a1.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new password' })
      .expect(200);
    expect(await rowsOfSession(a2.deviceId)).toEqual(none);
    expect((await rowsOfSession(a1.deviceId)).e2ee_devices).toBe(1);
    await b1.sync();
    expect(b1.changedUsers().slice(seen)).toEqual([a1.userId]);
    // The device that changed the password stays the same device under its new tokens, and still reads.
    const same = await t.http.get('/api/e2ee/whoami').set(bearer(res.body.accessToken)).expect(200);
    expect(same.body.device_id).toBe(a1.deviceId);
    await t.http.get('/api/e2ee/whoami').set(bearer(a1.accessToken)).expect(401);
    const after = await b1.encrypt(room, [a1.userId, b1.userId], 'after the password change');
    a1.accessToken = res.body.accessToken;
    expect(await a1.decrypt(room, after)).toBe('after the password change');
  });

  it('ends the device of a session revoked by a replayed refresh token, and of a session that expired, at the clean-up', async () => {
    const { alice, bob } = await friendsWithConversation();
    const b1 = await device(bob.accessToken);
    const a1 = await device(alice.accessToken);
    await b1.sync();
    let seen = b1.changedUsers().length;

    await t.http.post('/api/auth/refresh').send({ refreshToken: alice.refreshToken }).expect(200);
    const replay = await t.http.post('/api/auth/refresh').send({ refreshToken: alice.refreshToken });
    expect([replay.status, replay.body.code]).toEqual([401, 'REFRESH_TOKEN_REUSED']);
    expect(await rowsOfSession(a1.deviceId)).toEqual(none);
    await b1.sync();
    expect(b1.changedUsers().slice(seen)).toEqual([a1.userId]);

    const a2 = await device(await signIn(alice));
    await b1.sync();
    seen = b1.changedUsers().length;
    await t.db.query(`UPDATE sessions SET expires_at = $2 WHERE id = $1`, [a2.deviceId, new Date(t.clock.now().getTime() - 1000)]);
    // Before the clean-up runs, an expired session's device is neither listed nor reachable.
    const listed = await t.http.post('/api/e2ee/keys/query').set(bearer(bob.accessToken)).send({ device_keys: { [a2.userId]: [] } }).expect(200);
    expect(Object.keys(listed.body.device_keys[a2.userId])).toEqual([]);
    const claimed = await t.http
      .post('/api/e2ee/keys/claim')
      .set(bearer(bob.accessToken))
      .send({ one_time_keys: { [a2.userId]: { [a2.deviceId]: 'signed_curve25519' } } })
      .expect(200);
    expect(claimed.body.one_time_keys).toEqual({});
    await t.app.get(SessionLifecycleService).deleteEndedSessions();
    expect(await rowsOfSession(a2.deviceId)).toEqual(none);
    expect(await t.db.query(`SELECT id FROM sessions WHERE id = $1`, [a2.deviceId])).toEqual([]);
    await b1.sync();
    expect(b1.changedUsers().slice(seen)).toEqual([a2.userId]);
  });

  describe('refused', () => {
    let alice: Registered;
    let bob: Registered;
    let stranger: Registered;
    let a1: E2eeTestDevice;
    let b1: E2eeTestDevice;

    beforeEach(async () => {
      ({ alice, bob } = await friendsWithConversation());
      stranger = await register(t.http);
      a1 = await device(alice.accessToken);
      b1 = await device(bob.accessToken);
    });

    const storedKeys = async (d: E2eeTestDevice) => (await t.db.query(`SELECT device_keys FROM e2ee_devices WHERE session_id = $1`, [d.deviceId]))[0].device_keys;
    const upload = (who: Registered | E2eeTestDevice, body: object) => t.http.post('/api/e2ee/keys/upload').set(bearer(who.accessToken)).send(body);

    it('keys for another device or another user (403 DEVICE_KEYS_NOT_OWN), and nothing stored', async () => {
      const keys = await storedKeys(a1);
      const otherDevice = await upload(b1, { device_keys: keys });
      expect([otherDevice.status, otherDevice.body.code]).toEqual([403, 'DEVICE_KEYS_NOT_OWN']);
      const secondSession = await signIn(alice);
      const sameUserOtherSession = await t.http.post('/api/e2ee/keys/upload').set(bearer(secondSession)).send({ device_keys: keys });
      expect([sameUserOtherSession.status, sameUserOtherSession.body.code]).toEqual([403, 'DEVICE_KEYS_NOT_OWN']);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM e2ee_devices WHERE user_id = $1`, [alice.id]))[0].n).toBe(1);
    });

    it('a device key replaced (409 DEVICE_KEYS_IMMUTABLE); the same keys again are fine', async () => {
      const keys = await storedKeys(a1);
      const replaced = { ...keys, keys: { ...keys.keys, [`curve25519:${a1.deviceId}`]: 'A'.repeat(43) } };
      const res = await upload(a1, { device_keys: replaced });
      expect([res.status, res.body.code]).toEqual([409, 'DEVICE_KEYS_IMMUTABLE']);
      await upload(a1, { device_keys: keys }).expect(200);
      expect(await storedKeys(a1)).toEqual(keys);
    });

    it('malformed keys (400 with a stable code)', async () => {
      const keys = await storedKeys(a1);
      const signatures = keys.signatures;
      const cases: [object, number, string][] = [
        [{ device_keys: { ...keys, keys: { [`curve25519:${a1.deviceId}`]: 'not base64!' } } }, 400, 'INVALID_KEYS'],
        [{ device_keys: { ...keys, signatures: {} } }, 400, 'INVALID_KEYS'],
        [{ device_keys: { ...keys, extra: 1 } }, 400, 'VALIDATION_FAILED'],
        [{ device_keys: 'keys' }, 400, 'VALIDATION_FAILED'],
        [{ one_time_keys: { 'curve25519:AAAA': { key: 'A'.repeat(43), signatures } } }, 400, 'INVALID_KEYS'],
        [{ one_time_keys: { 'signed_curve25519:AAAA': { key: 'A'.repeat(43), signatures, evil: true } } }, 400, 'INVALID_KEYS'],
        [
          { one_time_keys: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`signed_curve25519:k${i}`, { key: 'A'.repeat(43), signatures }])) },
          400,
          'TOO_MANY_ONE_TIME_KEYS',
        ],
        [{ fallback_keys: { 'signed_curve25519:F1': { key: 'A'.repeat(43), signatures }, 'signed_curve25519:F2': { key: 'A'.repeat(43), signatures } } }, 400, 'INVALID_KEYS'],
      ];
      for (const [body, status, code] of cases) {
        const res = await upload(a1, body);
        expect({ body, got: [res.status, res.body.code] }).toEqual({ body, got: [status, code] });
      }
      const query = await t.http.post('/api/e2ee/keys/query').set(bearer(alice.accessToken)).send({ device_keys: { [b1.userId]: 'all' } });
      expect([query.status, query.body.code]).toEqual([400, 'INVALID_KEYS']);
      const tooMany = Object.fromEntries(Array.from({ length: 101 }, () => [`@${randomUUID()}:iris`, []]));
      const many = await t.http.post('/api/e2ee/keys/query').set(bearer(alice.accessToken)).send({ device_keys: tooMany });
      expect([many.status, many.body.code]).toEqual([400, 'TOO_MANY_USERS']);
      const since = await t.http.get('/api/e2ee/sync').query({ since: 'x' }).set(bearer(alice.accessToken));
      expect([since.status, since.body.code]).toEqual([400, 'INVALID_SINCE']);
    });

    it('caps the one-time keys a device holds (409 ONE_TIME_KEYS_FULL)', async () => {
      const signatures = (await storedKeys(a1)).signatures;
      const batch = (from: number) =>
        Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`signed_curve25519:x${from + i}`, { key: 'A'.repeat(43), signatures }]));
      const held = (await t.db.query(`SELECT count(*)::int AS n FROM e2ee_one_time_keys WHERE session_id = $1`, [a1.deviceId]))[0].n;
      expect(held).toBeGreaterThan(0);
      await upload(a1, { one_time_keys: batch(0) }).expect(200);
      const res = await upload(a1, { one_time_keys: batch(100) });
      expect([res.status, res.body.code]).toEqual([409, 'ONE_TIME_KEYS_FULL']);
    });

    it('a stranger, an unknown user and a malformed id look like users with no devices', async () => {
      const unknown = `@${randomUUID()}:iris`;
      const res = await t.http
        .post('/api/e2ee/keys/query')
        .set(bearer(stranger.accessToken))
        .send({ device_keys: { [a1.userId]: [], [unknown]: [], [`@${alice.username}:iris`]: [], 'not an id': [] } })
        .expect(200);
      expect(res.body).toEqual({
        device_keys: { [a1.userId]: {}, [unknown]: {}, [`@${alice.username}:iris`]: {}, 'not an id': {} },
        failures: {},
        master_keys: {},
        self_signing_keys: {},
        user_signing_keys: {},
      });
      const claim = await t.http
        .post('/api/e2ee/keys/claim')
        .set(bearer(stranger.accessToken))
        .send({ one_time_keys: { [a1.userId]: { [a1.deviceId]: 'signed_curve25519' } } })
        .expect(200);
      expect(claim.body).toEqual({ one_time_keys: {}, failures: {} });
    });

    it('a queue one sender filled: that sender’s next message is skipped (200), everyone else’s still lands', async () => {
      const fromSender = async (sender: string) =>
        (await t.db.query(`SELECT count(*)::int AS n FROM e2ee_to_device_messages WHERE recipient_session_id = $1 AND sender_user_id = $2`, [b1.deviceId, sender]))[0].n;
      // Alice has already left 100 messages for bob's device (MAX_TO_DEVICE_QUEUE_PER_SENDER).
      await t.db.query(
        `INSERT INTO e2ee_to_device_messages (recipient_session_id, sender_user_id, event_type, content, created_at)
         SELECT $1, $2, 'm.room.encrypted', '{"flood": true}', now() FROM generate_series(1, 100 - $3::int)`,
        [b1.deviceId, alice.id, await fromSender(alice.id)],
      );
      const put = (from: Registered) =>
        t.http.put(`/api/e2ee/sendToDevice/m.room.encrypted/${randomUUID()}`).set(bearer(from.accessToken)).send({ messages: { [b1.userId]: { '*': { a: 1 } } } });
      await put(alice).expect(200);
      expect(await fromSender(alice.id)).toBe(100);
      await put(bob).expect(200);
      expect(await fromSender(bob.id)).toBe(1);
    });

    it('a full queue (1,000 in all) is skipped; the user’s other devices still get theirs', async () => {
      const b2 = await device(await signIn(bob));
      await t.db.query(
        `INSERT INTO e2ee_to_device_messages (recipient_session_id, sender_user_id, event_type, content, created_at)
         SELECT $1, $2, 'm.room.encrypted', '{"flood": true}', now() FROM generate_series(1, 1000 - (SELECT count(*)::int FROM e2ee_to_device_messages WHERE recipient_session_id = $1))`,
        [b1.deviceId, bob.id],
      );
      await t.http
        .put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`)
        .set(bearer(alice.accessToken))
        .send({ messages: { [b1.userId]: { '*': { late: true } } } })
        .expect(200);
      const got = await t.db.query(`SELECT recipient_session_id AS id FROM e2ee_to_device_messages WHERE sender_user_id = $1 AND event_type = 'm.dummy'`, [alice.id]);
      expect(got).toEqual([{ id: b2.deviceId }]);
    });

    it('a to-device message to a stranger, or across a block (403 RECIPIENT_NOT_ALLOWED), queuing nothing', async () => {
      const strangerDevice = await device(stranger.accessToken);
      const queued = async () => (await t.db.query(`SELECT count(*)::int AS n FROM e2ee_to_device_messages`))[0].n;
      const before = await queued();
      const send = (from: Registered, messages: object) =>
        t.http.put(`/api/e2ee/sendToDevice/m.room.encrypted/${randomUUID()}`).set(bearer(from.accessToken)).send({ messages });
      const toStranger = await send(alice, { [b1.userId]: { [b1.deviceId]: { a: 1 } }, [strangerDevice.userId]: { '*': { a: 1 } } });
      expect([toStranger.status, toStranger.body.code]).toEqual([403, 'RECIPIENT_NOT_ALLOWED']);
      await t.http.put(`/api/blocks/${alice.id}`).set(bearer(bob.accessToken)).expect(204);
      const acrossBlock = await send(alice, { [b1.userId]: { '*': { a: 1 } } });
      expect([acrossBlock.status, acrossBlock.body.code]).toEqual([403, 'RECIPIENT_NOT_ALLOWED']);
      // Nor can the blocked side drain the blocker's one-time keys.
      const claim = await t.http
        .post('/api/e2ee/keys/claim')
        .set(bearer(alice.accessToken))
        .send({ one_time_keys: { [b1.userId]: { [b1.deviceId]: 'signed_curve25519' } } })
        .expect(200);
      expect(claim.body).toEqual({ one_time_keys: {}, failures: {} });
      expect(await queued()).toBe(before);
      // Own devices are always fine.
      await send(alice, { [a1.userId]: { '*': { a: 1 } } }).expect(200);
    });

    it('a device id named under a user it does not belong to (a friend’s, the sender’s other device’s, a stranger’s, a blocker’s): 200, queued for no device, bob’s own included', async () => {
      const carol = await register(t.http);
      await befriend(t.http, alice, carol);
      const blocker = await register(t.http);
      await befriend(t.http, alice, blocker);
      await t.http.put(`/api/blocks/${alice.id}`).set(bearer(blocker.accessToken)).expect(204);
      const b2 = await device(await signIn(bob));
      const others = {
        carol: await device(carol.accessToken),
        'alice’s a2': await device(await signIn(alice)),
        stranger: await device(stranger.accessToken),
        blocker: await device(blocker.accessToken),
      };
      const send = (messages: object) => t.http.put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`).set(bearer(alice.accessToken)).send({ messages });
      const sentByAlice = async () =>
        (await t.db.query(`SELECT recipient_session_id AS id, content FROM e2ee_to_device_messages WHERE sender_user_id = $1 AND event_type = 'm.dummy' ORDER BY id`, [
          alice.id,
        ])) as { id: string; content: object }[];
      const fromAlice = async (d: E2eeTestDevice) =>
        ((await t.http.get('/api/e2ee/sync').set(bearer(d.accessToken)).expect(200)).body.to_device.events as { type: string; sender: string; content: object }[])
          .filter((e) => e.type === 'm.dummy' && e.sender === a1.userId)
          .map((e) => e.content);
      // The stranger and the blocker are out of alice's reach when addressed as themselves.
      for (const who of ['stranger', 'blocker'] as const) {
        const direct = await send({ [others[who].userId]: { [others[who].deviceId]: { to: who } } });
        expect({ who, got: [direct.status, direct.body.code] }).toEqual({ who, got: [403, 'RECIPIENT_NOT_ALLOWED'] });
      }
      const misplaced = Object.fromEntries(Object.entries(others).map(([who, d]) => [d.deviceId, { to: `${who}, under bob` }]));

      // Under bob those ids name no device of his: skipped like unknown ids, by themselves and beside bob's `*`.
      await send({ [b1.userId]: misplaced }).expect(200, {});
      expect(await sentByAlice()).toEqual([]);
      await send({ [b1.userId]: { '*': { to: 'every bob' }, ...misplaced } }).expect(200, {});
      const rows = await sentByAlice();
      expect(new Map(rows.map((row) => [row.id, row.content]))).toEqual(
        new Map([
          [b1.deviceId, { to: 'every bob' }],
          [b2.deviceId, { to: 'every bob' }],
        ]),
      );
      expect(rows).toHaveLength(2);
      for (const [who, d] of Object.entries(others)) expect({ who, got: await fromAlice(d) }).toEqual({ who, got: [] });
      expect([await fromAlice(b1), await fromAlice(b2)]).toEqual([[{ to: 'every bob' }], [{ to: 'every bob' }]]);

      // The same ids under their own users reach them, where alice may write.
      await send({
        [others.carol.userId]: { [others.carol.deviceId]: { to: 'carol' } },
        [a1.userId]: { [others['alice’s a2'].deviceId]: { to: 'a2' } },
      }).expect(200, {});
      expect([await fromAlice(others.carol), await fromAlice(others['alice’s a2'])]).toEqual([[{ to: 'carol' }], [{ to: 'a2' }]]);
    });

    it('an oversized to-device payload (413), and too many targets (400 TOO_MANY_TARGETS)', async () => {
      const big = await t.http
        .put(`/api/e2ee/sendToDevice/m.room.encrypted/${randomUUID()}`)
        .set(bearer(alice.accessToken))
        .send({ messages: { [b1.userId]: { [b1.deviceId]: { ciphertext: 'x'.repeat(70_000) } } } });
      expect([big.status, big.body.code]).toEqual([413, 'TO_DEVICE_TOO_LARGE']);
      // Past the API's body limit (72 KiB) the request never reaches the route.
      const huge = await t.http
        .put(`/api/e2ee/sendToDevice/m.room.encrypted/${randomUUID()}`)
        .set(bearer(alice.accessToken))
        .send({ messages: { [b1.userId]: { [b1.deviceId]: { ciphertext: 'x'.repeat(80_000) } } } });
      expect([huge.status, huge.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
      const targets = Object.fromEntries(Array.from({ length: 101 }, () => [randomUUID(), {}]));
      const many = await t.http
        .put(`/api/e2ee/sendToDevice/m.room.encrypted/${randomUUID()}`)
        .set(bearer(alice.accessToken))
        .send({ messages: { [b1.userId]: targets } });
      expect([many.status, many.body.code]).toEqual([400, 'TOO_MANY_TARGETS']);
      const badType = await t.http.put(`/api/e2ee/sendToDevice/${encodeURIComponent('m.bad type!')}/1`).set(bearer(alice.accessToken)).send({ messages: {} });
      expect([badType.status, badType.body.code]).toEqual([400, 'INVALID_TO_DEVICE']);
      // JSON may escape half a surrogate pair; PostgreSQL's jsonb cannot store it: a 400, not a 500.
      const lone = await t.http
        .put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`)
        .set(bearer(alice.accessToken))
        .set('Content-Type', 'application/json')
        .send(`{"messages": {"${b1.userId}": {"*": {"text": "\\ud83d"}}}}`);
      expect([lone.status, lone.body.code]).toEqual([400, 'INVALID_TO_DEVICE']);
    });

    it('queues a retried transaction id once', async () => {
      const txn = randomUUID();
      const send = () =>
        t.http
          .put(`/api/e2ee/sendToDevice/m.dummy/${txn}`)
          .set(bearer(alice.accessToken))
          .send({ messages: { [b1.userId]: { [b1.deviceId]: { n: 1 } } } })
          .expect(200, {});
      await send();
      await send();
      const rows = await t.db.query(`SELECT content FROM e2ee_to_device_messages WHERE recipient_session_id = $1 AND event_type = 'm.dummy'`, [b1.deviceId]);
      expect(rows).toEqual([{ content: { n: 1 } }]);
    });

    it('hands a one-time key to exactly one of two concurrent claims; the other gets the fallback key', async () => {
      // OlmMachine uploads its fallback key once a sync says the server takes them.
      await b1.sync();
      await t.db.query(
        `DELETE FROM e2ee_one_time_keys WHERE session_id = $1 AND key_id <> (SELECT min(key_id) FROM e2ee_one_time_keys WHERE session_id = $1)`,
        [b1.deviceId],
      );
      const [{ key_id: oneTimeKeyId }] = await t.db.query(`SELECT key_id FROM e2ee_one_time_keys WHERE session_id = $1`, [b1.deviceId]);
      const [{ key_id: fallbackKeyId }] = await t.db.query(`SELECT key_id FROM e2ee_fallback_keys WHERE session_id = $1`, [b1.deviceId]);
      const claim = () =>
        t.http
          .post('/api/e2ee/keys/claim')
          .set(bearer(alice.accessToken))
          .send({ one_time_keys: { [b1.userId]: { [b1.deviceId]: 'signed_curve25519' } } })
          .expect(200);
      const results = await Promise.all([claim(), claim()]);
      const got = results.map((res) => Object.keys(res.body.one_time_keys[b1.userId][b1.deviceId])[0]).sort();
      expect(got).toEqual([oneTimeKeyId, fallbackKeyId].sort());
      const sync = await t.http.get('/api/e2ee/sync').set(bearer(bob.accessToken)).expect(200);
      expect(sync.body).toMatchObject({ device_one_time_keys_count: { signed_curve25519: 0 }, device_unused_fallback_key_types: [] });
    });

    it("another device's queue: sync always reads the caller's own session, and takes no device parameter", async () => {
      await a1.encrypt(roomOf(randomUUID()), [a1.userId, b1.userId], 'for bob only');
      const asAlice = await t.http.get('/api/e2ee/sync').set(bearer(alice.accessToken)).expect(200);
      expect(asAlice.body.to_device.events.filter((e: { sender: string }) => e.sender === a1.userId)).toEqual([]);
      const withDevice = await t.http.get('/api/e2ee/sync').query({ device_id: b1.deviceId }).set(bearer(alice.accessToken));
      expect([withDevice.status, withDevice.body.code]).toEqual([400, 'VALIDATION_FAILED']);
      const asBob = await t.http.get('/api/e2ee/sync').set(bearer(bob.accessToken)).expect(200);
      expect(asBob.body.to_device.events.length).toBeGreaterThan(0);
    });
  });

  onPostgres('answers 401 SESSION_REVOKED to a sync that came while its sign-out was deleting the device, and hands out nothing', async () => {
    const { alice, bob } = await friendsWithConversation();
    const b1 = await device(bob.accessToken);
    await device(alice.accessToken);
    await t.http
      .put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`)
      .set(bearer(alice.accessToken))
      .send({ messages: { [b1.userId]: { [b1.deviceId]: { waiting: true } } } })
      .expect(200);
    const signOut = new pg.Client({ connectionString: t.databaseUrl });
    await signOut.connect();
    try {
      // A sign-out's transaction, as far as it gets before the sync comes: the session ended, the device locked to delete it.
      await signOut.query('BEGIN');
      await signOut.query(`UPDATE sessions SET revoked_at = now() WHERE id = $1`, [b1.deviceId]);
      await signOut.query(`SELECT e2ee_lock_device($1)`, [b1.deviceId]);
      const syncing = t.http
        .get('/api/e2ee/sync')
        .set(bearer(bob.accessToken))
        .then((res) => res);
      for (let waited = 0; ; waited += 20) {
        const [row] = (await t.db.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%e2ee_sync(%'`,
        )) as { n: number }[];
        if (row.n > 0) break;
        if (waited > 10_000) throw new Error('the sync never waited for the device lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await signOut.query('COMMIT');
      const res = await syncing;
      expect([res.status, res.body.code]).toEqual([401, 'SESSION_REVOKED']);
    } finally {
      await signOut.end();
    }
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM e2ee_to_device_messages WHERE recipient_session_id = $1 AND batch IS NOT NULL`, [
      b1.deviceId,
    ]);
    expect(n).toBe(0);
  });

  it('queues one copy for each open device `*` reaches, the payload named for a device instead, and wakes them', async () => {
    const { alice, bob } = await friendsWithConversation();
    const a1 = await device(alice.accessToken);
    const a2 = await device(await signIn(alice));
    const b1 = await device(bob.accessToken);
    const b2 = await device(await signIn(bob));
    const b3 = await device(await signIn(bob));
    await t.db.query(`UPDATE sessions SET expires_at = $2 WHERE id = $1`, [b3.deviceId, new Date(t.clock.now().getTime() - 1000)]);
    const sockets = await Promise.all([a1, a2, b1, b2].map((d) => connect(t, d.accessToken)));
    const woken = sockets.map((socket) => socket.waitFor('e2ee.sync'));
    await t.http
      .put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`)
      .set(bearer(alice.accessToken))
      .send({
        messages: {
          [b1.userId]: { '*': { to: 'every bob' }, [b2.deviceId]: { to: 'b2' }, [randomUUID()]: { to: 'nobody' } },
          [a1.userId]: { '*': { to: 'every alice' } },
        },
      })
      .expect(200, {});
    const rows: { id: string; content: object }[] = await t.db.query(
      `SELECT recipient_session_id AS id, content FROM e2ee_to_device_messages WHERE event_type = 'm.dummy' AND sender_user_id = $1`,
      [alice.id],
    );
    const byDevice = new Map(rows.map((row) => [row.id, row.content]));
    expect(rows).toHaveLength(4);
    expect([a1, a2, b1, b2].map((d) => byDevice.get(d.deviceId))).toEqual([{ to: 'every alice' }, { to: 'every alice' }, { to: 'every bob' }, { to: 'b2' }]);
    await Promise.all(woken);
  });

  it('reaches no device whose session was revoked, through `*` or by its id, nor an expired one by its id; the user’s open device still gets its copies', async () => {
    const { alice, bob } = await friendsWithConversation();
    await device(alice.accessToken);
    const b1 = await device(bob.accessToken);
    const [b2, b3, b4] = [await device(await signIn(bob)), await device(await signIn(bob)), await device(await signIn(bob))];
    // b2 is signed out from bob's other session: its device goes with it.
    await t.http.delete(`/api/sessions/${b2.deviceId}`).set(bearer(bob.accessToken)).expect(204);
    expect(await rowsOfSession(b2.deviceId)).toEqual(none);
    // Every route that ends a session deletes its device in the same transaction, so b3's session is marked
    // revoked here with its device left in place: only the send's own check (e2ee_open_devices) keeps it out.
    // b4's session expired, and keeps its device until the hourly clean-up.
    const past = new Date(t.clock.now().getTime() - 1000);
    await t.db.query(`UPDATE sessions SET revoked_at = $2 WHERE id = $1`, [b3.deviceId, past]);
    await t.db.query(`UPDATE sessions SET expires_at = $2 WHERE id = $1`, [b4.deviceId, past]);
    expect([(await rowsOfSession(b3.deviceId)).e2ee_devices, (await rowsOfSession(b4.deviceId)).e2ee_devices]).toEqual([1, 1]);

    const send = (devices: object) =>
      t.http
        .put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`)
        .set(bearer(alice.accessToken))
        .send({ messages: { [b1.userId]: devices } })
        .expect(200, {});
    await send({ '*': { to: 'every bob' } });
    await send({ [b1.deviceId]: { to: 'b1' }, [b2.deviceId]: { to: 'b2' }, [b3.deviceId]: { to: 'b3' }, [b4.deviceId]: { to: 'b4' } });
    const rows = await t.db.query(`SELECT recipient_session_id AS id, content FROM e2ee_to_device_messages WHERE sender_user_id = $1 AND event_type = 'm.dummy' ORDER BY id`, [
      alice.id,
    ]);
    expect(rows).toEqual([
      { id: b1.deviceId, content: { to: 'every bob' } },
      { id: b1.deviceId, content: { to: 'b1' } },
    ]);
    const synced = await t.http.get('/api/e2ee/sync').set(bearer(bob.accessToken)).expect(200);
    expect(synced.body.to_device.events.filter((e: { type: string }) => e.type === 'm.dummy').map((e: { content: object }) => e.content)).toEqual([
      { to: 'every bob' },
      { to: 'b1' },
    ]);
  });

  it('pages a long queue: limited until everything was acknowledged', async () => {
    const { alice, bob } = await friendsWithConversation();
    const b1 = await device(bob.accessToken);
    await device(alice.accessToken);
    for (let i = 0; i < 3; i++) {
      const messages = { [b1.userId]: { [b1.deviceId]: { i } } };
      // 3 × 50 = 150 events, over one page of 100; the last 50 from bob himself, as one sender may leave 100.
      const sender = i < 2 ? alice : bob;
      for (let j = 0; j < 50; j++) {
        await t.http.put(`/api/e2ee/sendToDevice/m.dummy/${i}-${j}`).set(bearer(sender.accessToken)).send({ messages }).expect(200);
      }
    }
    const first = await t.http.get('/api/e2ee/sync').set(bearer(bob.accessToken)).expect(200);
    expect(first.body.limited).toBe(true);
    expect(first.body.to_device.events).toHaveLength(100);
    const second = await t.http.get('/api/e2ee/sync').query({ since: first.body.next_batch }).set(bearer(bob.accessToken)).expect(200);
    expect(second.body.limited).toBe(false);
    const order = [...first.body.to_device.events, ...second.body.to_device.events].map((e: { content: { i: number } }) => e.content.i);
    expect(order).toEqual([...order].sort());
    expect(second.body.to_device.events.filter((e: { type: string }) => e.type === 'm.dummy')).toHaveLength(50);
  });

  it('deletes on acknowledgement only what the sync handed out, never a row that committed late under a lower id', async () => {
    const { alice, bob } = await friendsWithConversation();
    const b1 = await device(bob.accessToken);
    await device(alice.accessToken);
    await t.http
      .put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`)
      .set(bearer(alice.accessToken))
      .send({ messages: { [b1.userId]: { [b1.deviceId]: { first: true } } } })
      .expect(200);
    const first = await t.http.get('/api/e2ee/sync').set(bearer(bob.accessToken)).expect(200);
    expect(first.body.device_lists.changed).toContain(`@${alice.id}:iris`);
    expect(first.body.to_device.events.map((e: { content: object }) => e.content)).toContainEqual({ first: true });

    // Transactions that took their ids before the ones handed out, and committed after the sync read.
    const late = randomUUID();
    await t.db.query(
      `INSERT INTO e2ee_device_list_changes (id, recipient_session_id, user_id, kind, created_at)
       SELECT min(id) - 1, $1, $2, 'changed', now() FROM e2ee_device_list_changes WHERE recipient_session_id = $1`,
      [b1.deviceId, late],
    );
    await t.db.query(
      `INSERT INTO e2ee_to_device_messages (id, recipient_session_id, sender_user_id, event_type, content, created_at)
       SELECT min(id) - 1, $1, $2, 'm.dummy', '{"late": true}', now() FROM e2ee_to_device_messages WHERE recipient_session_id = $1`,
      [b1.deviceId, alice.id],
    );
    const second = await t.http.get('/api/e2ee/sync').query({ since: first.body.next_batch }).set(bearer(bob.accessToken)).expect(200);
    expect(second.body.device_lists.changed).toEqual([`@${late}:iris`]);
    expect(second.body.to_device.events.map((e: { content: object }) => e.content)).toEqual([{ late: true }]);
    // Without an acknowledgement the same page comes again.
    const again = await t.http.get('/api/e2ee/sync').query({ since: first.body.next_batch }).set(bearer(bob.accessToken)).expect(200);
    expect(again.body.device_lists.changed).toEqual([`@${late}:iris`]);
    const done = await t.http.get('/api/e2ee/sync').query({ since: again.body.next_batch }).set(bearer(bob.accessToken)).expect(200);
    expect([done.body.device_lists.changed, done.body.to_device.events]).toEqual([[], []]);
  });

  it('never deletes on acknowledgement a row that only a lost answer held, when a late row pushed it off the page', async () => {
    const bob = await register(t.http);
    const b1 = await device(bob.accessToken);
    // More than a page (500) of device-list changes waits.
    await t.db.query(
      `INSERT INTO e2ee_device_list_changes (recipient_session_id, user_id, kind, created_at)
       SELECT $1, gen_random_uuid(), 'changed', now() FROM generate_series(1, 501)`,
      [b1.deviceId],
    );
    const queued: string[] = (
      await t.db.query(`SELECT user_id FROM e2ee_device_list_changes WHERE recipient_session_id = $1 ORDER BY id`, [b1.deviceId])
    ).map((row: { user_id: string }) => `@${row.user_id}:iris`);
    const sync = async (since?: string) =>
      (await t.http.get('/api/e2ee/sync').query(since === undefined ? {} : { since }).set(bearer(bob.accessToken)).expect(200)).body;

    // This answer is lost: the client never sees its page.
    const lost = await sync();
    expect(lost.device_lists.changed).toEqual(queued.slice(0, 500));
    const lastOfLostPage = queued[499];
    // An announcement that took its id before the others and committed after that sync read.
    const late = randomUUID();
    await t.db.query(
      `INSERT INTO e2ee_device_list_changes (id, recipient_session_id, user_id, kind, created_at)
       SELECT min(id) - 1, $1, $2, 'changed', now() FROM e2ee_device_list_changes WHERE recipient_session_id = $1`,
      [b1.deviceId, late],
    );
    const second = await sync();
    expect(second.device_lists.changed).toEqual([`@${late}:iris`, ...queued.slice(0, 499)]);
    const third = await sync(second.next_batch);
    expect(third.device_lists.changed).toContain(lastOfLostPage);
    expect(third.limited).toBe(false);
    expect(new Set([...second.device_lists.changed, ...third.device_lists.changed])).toEqual(new Set([`@${late}:iris`, ...queued]));
  });

  it('deletes undelivered to-device messages after 7 days (clock-driven)', async () => {
    const { alice, bob } = await friendsWithConversation();
    const b1 = await device(bob.accessToken);
    await t.http
      .put(`/api/e2ee/sendToDevice/m.dummy/${randomUUID()}`)
      .set(bearer(alice.accessToken))
      .send({ messages: { [b1.userId]: { '*': { old: true } } } })
      .expect(200);
    const service = t.app.get(E2eeService);
    const count = async () => (await t.db.query(`SELECT count(*)::int AS n FROM e2ee_to_device_messages WHERE recipient_session_id = $1`, [b1.deviceId]))[0].n;
    await service.deleteExpired();
    expect(await count()).toBe(1);
    t.clock.advance(7 * 86_400_000 + 1000);
    await t.app.get(E2eeCleanupJob).run();
    expect(await count()).toBe(0);
    const [run] = await t.db.query(`SELECT rows_affected, error FROM job_runs WHERE job = 'e2ee-cleanup' ORDER BY started_at DESC LIMIT 1`);
    expect(run.error).toBeNull();
    expect(run.rows_affected).toBeGreaterThan(0);
  });

  it('exports the devices (ids and dates), never their keys or what waits for them', async () => {
    const { alice, bob, room } = await friendsWithConversation();
    const a1 = await device(alice.accessToken);
    const b1 = await device(bob.accessToken);
    await b1.encrypt(room, [a1.userId, b1.userId], 'waiting for alice');
    const [device_row] = await t.db.query(`SELECT device_keys, created_at FROM e2ee_devices WHERE session_id = $1`, [a1.deviceId]);
    const secrets: string[] = [
      ...Object.values(device_row.device_keys.keys as Record<string, string>),
      ...(await t.db.query(`SELECT key->>'key' AS k FROM e2ee_one_time_keys WHERE session_id = $1`, [a1.deviceId])).map((r: { k: string }) => r.k),
      ...(await t.db.query(`SELECT content->>'sender_key' AS k FROM e2ee_to_device_messages WHERE recipient_session_id = $1`, [a1.deviceId])).map(
        (r: { k: string }) => r.k,
      ),
    ];
    expect(secrets.length).toBeGreaterThan(3);

    const res = await t.http.get('/api/users/me/export').set(bearer(alice.accessToken)).buffer(true).parse(binary).expect(200);
    const zip = await fromBufferPromise(res.body as Buffer, { lazyEntries: true });
    const contents: Buffer[] = [];
    let profile: { e2eeDevices?: unknown } = {};
    for await (const entry of zip.eachEntry()) {
      const content = await buffer(await zip.openReadStreamPromise(entry));
      contents.push(content);
      if (entry.fileName === 'profile.json') profile = JSON.parse(content.toString('utf8'));
    }
    expect(profile.e2eeDevices).toEqual([{ deviceId: a1.deviceId, createdAt: new Date(device_row.created_at).toISOString() }]);
    const all = Buffer.concat(contents).toString('utf8');
    for (const secret of secrets) expect(all).not.toContain(secret);
  });

  it('erases a user with their devices, keys and queues, and tells their contacts that they left', async () => {
    const { alice, bob, room } = await friendsWithConversation();
    const a1 = await device(alice.accessToken);
    const b1 = await device(bob.accessToken);
    await b1.encrypt(room, [a1.userId, b1.userId], 'to alice, before she goes');
    await a1.encrypt(room, [a1.userId, b1.userId], 'to bob');
    const res = await t.http.delete('/api/users/me').set(bearer(alice.accessToken)).send({ password: PASSWORD }).expect(200);
    expect(res.body.counts.e2eeDevices).toBe(1);
    expect(await rowsOfSession(a1.deviceId)).toEqual(none);
    await b1.sync();
    expect(b1.leftUsers()).toEqual([a1.userId]);
    // The next sync acknowledges the announcement: then nothing of alice is left.
    await b1.sync();
    for (const table of E2EE_TABLES) {
      const hits = await t.db.query(`SELECT count(*)::int AS n FROM ${table} t WHERE row_to_json(t)::text LIKE '%' || $1 || '%'`, [alice.id]);
      expect({ table, n: hits[0].n }).toEqual({ table, n: 0 });
    }
  });
});

