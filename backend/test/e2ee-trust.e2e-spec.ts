import { DecryptionErrorCode, DeviceId, OtherUserIdentity, UserId } from '@matrix-org/matrix-sdk-crypto-wasm';
import { E2eeTestDevice } from './helpers/e2ee-device.js';
import { befriend, openConversation } from './helpers/friends.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

const roomOf = (conversationId: string) => `!${conversationId}:iris`;

describe('end-to-end encryption: cross-signing and key backup (e2e)', () => {
  let t: TestApp;
  const devices: E2eeTestDevice[] = [];
  const device = async (accessToken: string) => {
    const created = await E2eeTestDevice.create(t, accessToken);
    devices.push(created);
    return created;
  };
  const signIn = async (user: Registered) =>
    (await t.http.post('/api/auth/login').send({ username: user.username, password: PASSWORD }).expect(200)).body.accessToken as string;
  const query = async (as: E2eeTestDevice, userId: string) =>
    (await t.http.post('/api/e2ee/keys/query').set(bearer(as.accessToken)).send({ device_keys: { [userId]: [] } }).expect(200)).body;
  const identityOf = async (as: E2eeTestDevice, userId: string) => (await as.olm.getIdentity(new UserId(userId))) as OtherUserIdentity | undefined;
  const count = async (table: string) => (await t.db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterEach(() => {
    for (const d of devices.splice(0)) d.close();
  });
  afterAll(() => t.close());

  async function friends() {
    const alice = await register(t.http);
    const bob = await register(t.http);
    await befriend(t.http, alice, bob);
    const room = roomOf(await openConversation(t.http, alice, bob, { encrypted: true }));
    return { alice, bob, room };
  }

  describe('cross-signing', () => {
    it('publishes alice’s identity to her contacts, with her device signed by it; her user-signing key only to herself', async () => {
      const { alice, bob } = await friends();
      const a1 = await device(alice.accessToken);
      const b1 = await device(bob.accessToken);
      await a1.bootstrapCrossSigning();

      const seenByBob = await query(b1, a1.userId);
      expect(Object.keys(seenByBob.master_keys)).toEqual([a1.userId]);
      expect(Object.keys(seenByBob.self_signing_keys)).toEqual([a1.userId]);
      expect(seenByBob.user_signing_keys).toEqual({});
      const ssk = Object.values(seenByBob.self_signing_keys[a1.userId].keys)[0] as string;
      expect(seenByBob.device_keys[a1.userId][a1.deviceId].signatures[a1.userId]).toHaveProperty(`ed25519:${ssk}`);
      expect(Object.keys((await query(a1, a1.userId)).user_signing_keys)).toEqual([a1.userId]);

      // Bob's machine checks the chain itself: alice's device is signed by her identity, which bob has not verified.
      await b1.sync();
      await b1.olm.updateTrackedUsers([new UserId(a1.userId)]);
      await b1.flush();
      const aliceDevice = await b1.olm.getDevice(new UserId(a1.userId), new DeviceId(a1.deviceId));
      expect(aliceDevice?.isCrossSignedByOwner()).toBe(true);
      expect(aliceDevice?.isVerified()).toBe(false);
      expect((await identityOf(b1, a1.userId))?.isVerified()).toBe(false);
    });

    it('lists a session as verified once her identity signs its device, and not before', async () => {
      const { alice } = await friends();
      const a1 = await device(alice.accessToken);
      const a2 = await device(await signIn(alice));
      const listed = async () =>
        Object.fromEntries(
          ((await t.http.get('/api/sessions').set(bearer(alice.accessToken)).expect(200)).body.items as { e2ee: { deviceId: string; verified: boolean } | null }[])
            .filter((item) => item.e2ee)
            .map((item) => [item.e2ee!.deviceId, item.e2ee!.verified]),
        );
      expect(await listed()).toEqual({ [a1.deviceId]: false, [a2.deviceId]: false });

      // The first device bootstraps the identity and signs itself; the second stays unsigned until verified.
      await a1.bootstrapCrossSigning();
      expect(await listed()).toEqual({ [a1.deviceId]: true, [a2.deviceId]: false });
    });

    it('keeps bob’s signature on alice’s master key for bob alone, and lets bob’s machine trust her signed devices', async () => {
      const { alice, bob } = await friends();
      const a1 = await device(alice.accessToken);
      const b1 = await device(bob.accessToken);
      await a1.bootstrapCrossSigning();
      await b1.bootstrapCrossSigning();
      await b1.olm.updateTrackedUsers([new UserId(a1.userId)]);
      await b1.flush();

      const request = await (await identityOf(b1, a1.userId))!.verify();
      await b1.post('/api/e2ee/keys/signatures/upload', JSON.parse(request.body));
      const master = Object.values((await query(b1, a1.userId)).master_keys[a1.userId].keys)[0] as string;
      expect((await query(b1, a1.userId)).master_keys[a1.userId].signatures).toHaveProperty(b1.userId);
      expect((await query(a1, a1.userId)).master_keys[a1.userId].signatures).not.toHaveProperty(b1.userId);
      expect((await t.db.query(`SELECT signer_user_id FROM e2ee_signatures WHERE target_key_id = $1 AND signer_user_id = $2`, [master, bob.id])).length).toBe(1);

      await b1.sync();
      expect((await identityOf(b1, a1.userId))?.isVerified()).toBe(true);
      expect((await b1.olm.getDevice(new UserId(a1.userId), new DeviceId(a1.deviceId)))?.isVerified()).toBe(true);
    });

    it('tells bob when alice resets her identity, and his machine flags the verified identity that changed', async () => {
      const { alice, bob } = await friends();
      const a1 = await device(alice.accessToken);
      const b1 = await device(bob.accessToken);
      await a1.bootstrapCrossSigning();
      await b1.bootstrapCrossSigning();
      await b1.olm.updateTrackedUsers([new UserId(a1.userId)]);
      await b1.flush();
      await b1.post('/api/e2ee/keys/signatures/upload', JSON.parse((await (await identityOf(b1, a1.userId))!.verify()).body));
      await b1.sync();
      const seen = b1.changedUsers().length;

      await a1.bootstrapCrossSigning(true, PASSWORD);
      await b1.sync();
      expect(b1.changedUsers().slice(seen)).toContain(a1.userId);
      const identity = await identityOf(b1, a1.userId);
      expect(identity?.isVerified()).toBe(false);
      expect(identity?.hasVerificationViolation()).toBe(true);
      // The old identity's signatures went with it: bob's included.
      expect((await t.db.query(`SELECT 1 FROM e2ee_signatures WHERE signer_user_id = $1 AND target_user_id = $2`, [bob.id, alice.id])).length).toBe(0);
    });

    it('resets an identity only with the current password, and changes nothing without it', async () => {
      const { alice, bob } = await friends();
      const a1 = await device(alice.accessToken);
      const b1 = await device(bob.accessToken);
      await a1.bootstrapCrossSigning();
      const stored = async () => (await t.db.query(`SELECT usage, key FROM e2ee_cross_signing_keys WHERE user_id = $1 ORDER BY usage`, [alice.id])) as object[];
      const before = await stored();
      const signatures = await count('e2ee_signatures');
      const reset = JSON.parse((await a1.olm.bootstrapCrossSigning(true)).uploadSigningKeysRequest.body);
      const upload = (body: object) => t.http.post('/api/e2ee/keys/device_signing/upload').set(bearer(a1.accessToken)).send(body);
      const seen = (await b1.sync(), b1.changedUsers().length);

      expect((await upload(reset).expect(400)).body.code).toBe('PASSWORD_REQUIRED');
      expect((await upload({ ...reset, auth: { type: 'm.login.password', password: 'not-the-password' } }).expect(403)).body.code).toBe('WRONG_PASSWORD');
      expect((await upload({ ...reset, auth: { type: 'm.login.password' } }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect((await upload({ ...reset, auth: { type: 'm.login.sso', password: PASSWORD } }).expect(400)).body.code).toBe('VALIDATION_FAILED');
      expect(await stored()).toEqual(before);
      expect(await count('e2ee_signatures')).toBe(signatures);
      await b1.sync();
      expect(b1.changedUsers().slice(seen)).not.toContain(a1.userId);

      // The same keys again need no password; the right one resets, and bob hears of it.
      await upload({ ...reset, auth: { type: 'm.login.password', password: PASSWORD } }).expect(200);
      expect(await stored()).not.toEqual(before);
      await upload(reset).expect(200);
      await b1.sync();
      expect(b1.changedUsers().slice(seen)).toContain(a1.userId);
    });

    it('refuses keys and signatures that do not verify or are not the caller’s, and stores nothing', async () => {
      const { alice, bob } = await friends();
      const stranger = await register(t.http);
      const a1 = await device(alice.accessToken);
      const b1 = await device(bob.accessToken);
      const s1 = await device(stranger.accessToken);
      const bootstrap = await a1.olm.bootstrapCrossSigning(true);
      const keys = JSON.parse(bootstrap.uploadSigningKeysRequest.body);
      const upload = (as: E2eeTestDevice, body: object) => t.http.post('/api/e2ee/keys/device_signing/upload').set(bearer(as.accessToken)).send(body);
      const before = await count('e2ee_cross_signing_keys');

      // Subkeys without a master key; a master key without its subkeys; alice's keys uploaded by bob.
      expect((await upload(a1, { self_signing_key: keys.self_signing_key }).expect(400)).body.code).toBe('INVALID_CROSS_SIGNING_KEY');
      expect((await upload(a1, { master_key: keys.master_key }).expect(400)).body.code).toBe('INVALID_CROSS_SIGNING_KEY');
      expect((await upload(b1, keys).expect(400)).body.code).toBe('INVALID_CROSS_SIGNING_KEY');
      // A self-signing key whose master signature was tampered with.
      const forged = structuredClone(keys);
      const sigs = forged.self_signing_key.signatures[a1.userId];
      const keyId = Object.keys(sigs)[0];
      sigs[keyId] = `${sigs[keyId][0] === 'A' ? 'B' : 'A'}${sigs[keyId].slice(1)}`;
      expect((await upload(a1, forged).expect(400)).body.code).toBe('INVALID_SIGNATURE');
      const extra = { ...keys, master_key: { ...keys.master_key, note: 'hi' } };
      expect((await upload(a1, extra).expect(400)).body.code).toBe('INVALID_CROSS_SIGNING_KEY');
      expect(await count('e2ee_cross_signing_keys')).toBe(before);

      await upload(a1, keys).expect(200);
      await upload(a1, keys).expect(200); // the same keys again change nothing
      const signatures = JSON.parse(bootstrap.uploadSignaturesRequest.body);
      await t.http.post('/api/e2ee/keys/signatures/upload').set(bearer(a1.accessToken)).send(signatures).expect(200);
      await s1.bootstrapCrossSigning();
      const sigCount = await count('e2ee_signatures');
      // Bob cannot sign alice's device; a stranger cannot sign alice's master key; a forged signature is refused.
      const signUpload = (as: E2eeTestDevice, body: object) => t.http.post('/api/e2ee/keys/signatures/upload').set(bearer(as.accessToken)).send(body);
      expect((await signUpload(b1, signatures).expect(400)).body.code).toBe('INVALID_SIGNATURE');
      const master = keys.master_key;
      const masterId = Object.values(master.keys)[0] as string;
      const strangerSigned = { [a1.userId]: { [masterId]: { ...master, signatures: { [s1.userId]: { [`ed25519:${'A'.repeat(43)}`]: 'A'.repeat(86) } } } } };
      expect((await signUpload(s1, strangerSigned).expect(400)).body.code).toBe('INVALID_SIGNATURE');
      const tampered = structuredClone(signatures);
      const deviceEntry = tampered[a1.userId][a1.deviceId] ?? Object.values(tampered[a1.userId])[0];
      deviceEntry.algorithms = ['m.megolm.v1.aes-sha2'];
      expect((await signUpload(a1, tampered).expect(400)).body.code).toBe('INVALID_SIGNATURE');
      expect(await count('e2ee_signatures')).toBe(sigCount);
    });

    it('drops the signatures on a device that signs out', async () => {
      const { alice } = await friends();
      const a1 = await device(alice.accessToken);
      const a2 = await device(await signIn(alice));
      await a2.bootstrapCrossSigning();
      expect((await t.db.query(`SELECT 1 FROM e2ee_signatures WHERE target_key_id = $1`, [a2.deviceId])).length).toBe(1);
      await t.http.post('/api/auth/logout').set(bearer(a2.accessToken)).send({}).expect(204);
      expect((await t.db.query(`SELECT 1 FROM e2ee_signatures WHERE target_key_id = $1`, [a2.deviceId])).length).toBe(0);
      expect(a1.deviceId).toBeDefined();
    });
  });

  describe('key backup', () => {
    it('lets a new device of alice with the recovery key read history from before it existed; without it, it cannot', async () => {
      const { alice, bob, room } = await friends();
      const a1 = await device(alice.accessToken);
      const b1 = await device(bob.accessToken);
      const { recoveryKey } = await a1.enableBackup();
      const fromAlice = await a1.encrypt(room, [a1.userId, b1.userId], 'from before the new device');
      const fromBob = await b1.encrypt(room, [a1.userId, b1.userId], 'bob wrote this too');
      await a1.sync();
      await a1.backUp();
      expect((await t.http.get('/api/e2ee/room_keys/version').set(bearer(alice.accessToken)).expect(200)).body).toMatchObject({ count: 2 });

      const without = await device(await signIn(alice));
      expect(await without.decryptError(room, fromAlice)).toBe(DecryptionErrorCode.MissingRoomKey);
      const withKey = await device(await signIn(alice));
      expect(await withKey.restoreBackup(recoveryKey)).toBe(2);
      expect(await withKey.decrypt(room, fromAlice, { sync: false })).toBe('from before the new device');
      expect(await withKey.decrypt(room, fromBob, { sync: false })).toBe('bob wrote this too');
    });

    it('stores only ciphertext: no Megolm session key in the clear in anything the backup keeps', async () => {
      const { alice, bob, room } = await friends();
      const a1 = await device(alice.accessToken);
      const b1 = await device(bob.accessToken);
      const { version } = await a1.enableBackup();
      await a1.encrypt(room, [a1.userId, b1.userId], 'secret');
      await a1.backUp();
      const exported = JSON.parse(await a1.olm.exportRoomKeys(() => true)) as { session_key: string; session_id: string }[];
      expect(exported.length).toBe(1);

      const rows: { session_id: string; session_data: Record<string, string>; row: string }[] = await t.db.query(
        `SELECT k.session_id, k.session_data, row_to_json(k)::text AS row FROM e2ee_backup_keys k WHERE version = $1`,
        [version],
      );
      expect(rows.map((r) => r.session_id)).toEqual([exported[0].session_id]);
      for (const row of rows) {
        expect(Object.keys(row.session_data).sort()).toEqual(['ciphertext', 'ephemeral', 'mac']);
        expect(row.row).not.toContain(exported[0].session_key);
        // Not even a piece of it: the session key is base64 of bytes the ciphertext never shows.
        expect(row.row).not.toContain(exported[0].session_key.slice(20, 60));
        expect(Buffer.from(row.session_data.ciphertext, 'base64').toString('latin1')).not.toContain('session_key');
      }
      const [versionRow] = await t.db.query(`SELECT row_to_json(v)::text AS row FROM e2ee_backup_versions v WHERE version = $1`, [version]);
      expect(versionRow.row).not.toContain(exported[0].session_key);
    });

    it('refuses plaintext, other versions and other users’ backups, and changes nothing', async () => {
      const { alice, bob } = await friends();
      const a1 = await device(alice.accessToken);
      const { version } = await a1.enableBackup();
      const room = `!${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}:iris`;
      const good = { first_message_index: 0, forwarded_count: 0, is_verified: true, session_data: { ephemeral: 'A'.repeat(43), ciphertext: 'QUJD', mac: 'QUJD' } };
      const put = (who: Registered, v: string, rooms: object) => t.http.put('/api/e2ee/room_keys/keys').query({ version: v }).set(bearer(who.accessToken)).send({ rooms });

      const plaintext = { ...good, session_data: { ...good.session_data, session_key: 'AQAAAA' } };
      expect((await put(alice, version, { [room]: { sessions: { s1: plaintext } } }).expect(400)).body.code).toBe('INVALID_BACKUP');
      expect((await put(alice, version, { '!elsewhere:matrix.org': { sessions: { s1: good } } }).expect(400)).body.code).toBe('INVALID_BACKUP');
      expect((await put(alice, version, { [room]: { sessions: { s1: { ...good, first_message_index: -1 } } } }).expect(400)).body.code).toBe('INVALID_BACKUP');
      expect((await put(alice, String(Number(version) + 1000), { [room]: { sessions: { s1: good } } }).expect(403)).body.code).toBe('WRONG_BACKUP_VERSION');
      expect((await put(bob, version, { [room]: { sessions: { s1: good } } }).expect(404)).body.code).toBe('BACKUP_NOT_FOUND');
      expect((await t.http.get('/api/e2ee/room_keys/keys').query({ version }).set(bearer(bob.accessToken)).expect(404)).body.code).toBe('BACKUP_NOT_FOUND');
      expect((await t.http.delete(`/api/e2ee/room_keys/version/${version}`).set(bearer(bob.accessToken)).expect(404)).body.code).toBe('BACKUP_NOT_FOUND');
      expect(
        (await t.http.post('/api/e2ee/room_keys/version').set(bearer(alice.accessToken)).send({ algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'x' } }).expect(400)).body.code,
      ).toBe('INVALID_BACKUP');
      const sealedPlain = { public_key: 'A'.repeat(43), iris_cross_signing: { iv: 'QUJD', ciphertext: 'QUJD', master_key: 'clear' } };
      expect(
        (await t.http.post('/api/e2ee/room_keys/version').set(bearer(alice.accessToken)).send({ algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: sealedPlain }).expect(400)).body.code,
      ).toBe('INVALID_BACKUP');
      expect((await t.http.get('/api/e2ee/room_keys/version').set(bearer(alice.accessToken)).expect(200)).body.version).toBe(version);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM e2ee_backup_keys WHERE version = $1`, [version]))[0].n).toBe(0);

      // A worse copy (later first index) does not replace a better one.
      await put(alice, version, { [room]: { sessions: { s1: good } } }).expect(200);
      const worse = { ...good, first_message_index: 5, session_data: { ...good.session_data, ciphertext: 'WFla' } };
      expect((await put(alice, version, { [room]: { sessions: { s1: worse } } }).expect(200)).body.count).toBe(1);
      const keys = (await t.http.get('/api/e2ee/room_keys/keys').query({ version }).set(bearer(alice.accessToken)).expect(200)).body;
      expect(keys.rooms[room].sessions.s1).toEqual(good);

      // Deleting the backup takes its keys.
      await t.http.delete(`/api/e2ee/room_keys/version/${version}`).set(bearer(alice.accessToken)).expect(200);
      expect((await t.db.query(`SELECT count(*)::int AS n FROM e2ee_backup_keys WHERE version = $1`, [version]))[0].n).toBe(0);
      expect((await t.http.get('/api/e2ee/room_keys/version').set(bearer(alice.accessToken)).expect(404)).body.code).toBe('BACKUP_NOT_FOUND');
    });
  });
});
