import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { fromBufferPromise } from 'yauzl';
import { ExpiryService } from '../src/messages/expiry.service.js';
import { downloadFile } from './helpers/attachments.js';
import { binary } from './helpers/binary.js';
import { befriend, friendsInConversation } from './helpers/friends.js';
import { jpegWithGps, png } from './helpers/media.js';
import { closeSockets, connect } from './helpers/sockets.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

/** What OlmMachine.encryptRoomEvent answers, byte for byte (one real output of matrix-sdk-crypto-wasm 18.9). */
const MEGOLM = {
  algorithm: 'm.megolm.v1.aes-sha2',
  ciphertext:
    'AwgBEtABMUoMoHlFjcAe804T2/g5yh7dgJBUWHtl1B3BoMdIj++sY2CV+zQSheSUErOKDSwXD1/VDpqEeoBCc+hU9hRyayizRouw1SGGUkeVinY0Is06TwvjVqrx8N9G3CqWpdO+SpmiRfd8Sa42906W3z1rFRmy0cRiwB8qyWfRsJxE+Nf0GbAvwxHCGca1Wym78mK7kXtbBusTUUp/8QVi44Q7sDdVajSLli18tV8rzKaOZu1x5Ny9X9JrWwPhKLpFnfuX4gfumUPKqu301q8FPPWHgYEjC3U3b+OejSNw98V2/tk1D5Krlsu8afJ0uXfTQHi2GY9D9nu5Y0hO18PJrJSBh8h8GeubDq2wPXQH4iSWdwPwfjedQvbfDw',
  device_id: 'A1',
  sender_key: '26uCNjtjOFyYek+DL+n15vFYU4wpP/TRuEOUXA5+NW0',
  session_id: 'OV64ougYA7gMii8W4Tp3V22IYRMNntjXITTc7KtA2cI',
};
/** Another message of the same Megolm session: a fresh ciphertext. */
const megolm = () => ({ ...MEGOLM, ciphertext: randomBytes(160).toString('base64').replace(/=+$/, '') });

const SECOND = 1000;
// The races hold a row lock on a second connection, which embedded PGlite does not have.
const onPostgres = testServerUrl() ? it : it.skip;

describe('encrypted conversations (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-e2ee-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
  });
  afterAll(async () => {
    closeSockets();
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const pair = ({ encrypted = true }: { encrypted?: boolean } = {}) => friendsInConversation(t.http, { encrypted });
  const send = (from: Registered, conversationId: string, fields: object) =>
    t.http.post(`/api/conversations/${conversationId}/messages`).set(bearer(from.accessToken)).send({ clientId: randomUUID(), ...fields });
  const conversation = async (who: Registered, id: string) => (await t.http.get(`/api/conversations/${id}`).set(bearer(who.accessToken)).expect(200)).body;
  const history = async (who: Registered, id: string) =>
    (await t.http.get(`/api/conversations/${id}/messages`).set(bearer(who.accessToken)).expect(200)).body.items;
  const messageCount = async (conversationId: string) =>
    (await t.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]))[0].n as number;
  const uploadBlob = (who: Registered, content: Buffer, filename = 'photo.jpg', contentType = 'image/jpeg') =>
    t.http.post('/api/attachments/encrypted').set(bearer(who.accessToken)).attach('file', content, { filename, contentType });
  const uploadPlain = (who: Registered, content: Buffer) =>
    t.http.post('/api/attachments').set(bearer(who.accessToken)).attach('file', content, { filename: 'p.png', contentType: 'image/png' });
  const storedFiles = async () => {
    const names: string[] = [];
    for (const dir of ['originals', 'thumbnails']) names.push(...(await readdir(join(uploadDir, dir)).catch(() => [] as string[])).map((n) => `${dir}/${n}`));
    return names;
  };

  describe('the encryption of a conversation', () => {
    it('is on for a new conversation when the client does not say (E2EE_DEFAULT), and as asked otherwise', async () => {
      const alice = await register(t.http);
      const [bob, carol] = [await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      await befriend(t.http, alice, carol);

      const byDefault = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: bob.id }).expect(201);
      expect(byDefault.body).toMatchObject({ encrypted: true, lastMessage: null });
      const plain = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: carol.id, encrypted: false }).expect(201);
      expect(plain.body.encrypted).toBe(false);
      const invalid = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: carol.id, encrypted: 'yes' }).expect(400);
      expect(invalid.body.code).toBe('VALIDATION_FAILED');
    });

    it('turns on for good: PATCH true tells both members, PATCH false is refused and changes nothing', async () => {
      const { alice, bob, conversationId } = await pair({ encrypted: false });
      const bobSocket = await connect(t, bob.accessToken);

      const on = await t.http.patch(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).send({ encrypted: true }).expect(200);
      expect(on.body.encrypted).toBe(true);
      await expect(bobSocket.waitFor('conversation.updated', (e: { conversationId: string }) => e.conversationId === conversationId)).resolves.toMatchObject({
        userId: alice.id,
        encrypted: true,
      });

      const off = await t.http
        .patch(`/api/conversations/${conversationId}`)
        .set(bearer(bob.accessToken))
        .send({ encrypted: false, defaultExpiresInSeconds: 60 })
        .expect(400);
      expect(off.body.code).toBe('ENCRYPTION_IRREVERSIBLE');
      expect(await conversation(alice, conversationId)).toMatchObject({ encrypted: true, defaultExpiresInSeconds: null });
      const row = await t.db.query('SELECT encrypted FROM conversations WHERE id = $1', [conversationId]);
      expect(row).toEqual([{ encrypted: true }]);

      // Asking for true again is a no-op; a plaintext body is refused from now on.
      await t.http.patch(`/api/conversations/${conversationId}`).set(bearer(bob.accessToken)).send({ encrypted: true }).expect(200);
      expect((await send(alice, conversationId, { body: 'plain' }).expect(400)).body.code).toBe('ENCRYPTION_MISMATCH');
    });

    it('opening an existing pair with encrypted: true turns it on; encrypted: false returns it as it is', async () => {
      const { alice, bob, conversationId } = await pair({ encrypted: false });
      await send(alice, conversationId, { body: 'from before' }).expect(201);

      const upgraded = await t.http.post('/api/conversations').set(bearer(bob.accessToken)).send({ userId: alice.id, encrypted: true }).expect(200);
      expect(upgraded.body).toMatchObject({ id: conversationId, encrypted: true, lastMessage: { body: 'from before', ciphertext: null } });
      const asked = await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: bob.id, encrypted: false }).expect(200);
      expect(asked.body).toMatchObject({ id: conversationId, encrypted: true });
      // The history from before stays readable plaintext.
      expect((await history(bob, conversationId)).map((m: { body: string }) => m.body)).toEqual(['from before']);
    });
  });

  describe('sending', () => {
    it('stores the ciphertext as sent, no body, the sender device, and delivers it everywhere', async () => {
      const { alice, bob, conversationId } = await pair();
      const bobSocket = await connect(t, bob.accessToken);

      const sent = (await send(alice, conversationId, { ciphertext: MEGOLM }).expect(201)).body;
      const [session] = await t.db.query('SELECT id FROM sessions WHERE user_id = $1', [alice.id]);
      expect(sent).toMatchObject({ body: null, ciphertext: MEGOLM, senderDeviceId: session.id, kind: 'message', relatesTo: null, seq: 1 });
      const [row] = await t.db.query('SELECT body, ciphertext, sender_device_id, kind FROM messages WHERE id = $1', [sent.id]);
      expect(row).toEqual({ body: null, ciphertext: MEGOLM, sender_device_id: session.id, kind: 'message' });

      expect(await bobSocket.waitFor('message.created', (m: { id: string }) => m.id === sent.id)).toMatchObject({ ciphertext: MEGOLM, body: null });
      expect((await history(bob, conversationId))[0]).toMatchObject({ id: sent.id, ciphertext: MEGOLM });
      expect(await conversation(bob, conversationId)).toMatchObject({ encrypted: true, unreadCount: 1, lastMessage: { id: sent.id, ciphertext: MEGOLM } });
    });

    it('refuses a body in an encrypted conversation and a ciphertext in a plaintext one (ENCRYPTION_MISMATCH), writing nothing', async () => {
      const encrypted = await pair();
      const plain = await pair({ encrypted: false });

      for (const [who, id, fields] of [
        [encrypted.alice, encrypted.conversationId, { body: 'hello' }],
        [encrypted.alice, encrypted.conversationId, { body: 'hello', ciphertext: MEGOLM }],
        [plain.alice, plain.conversationId, { ciphertext: MEGOLM }],
        [plain.alice, plain.conversationId, { body: 'hello', ciphertext: MEGOLM }],
      ] as const) {
        const res = await send(who, id, fields).expect(400);
        expect(res.body.code).toBe('ENCRYPTION_MISMATCH');
      }
      expect(await messageCount(encrypted.conversationId)).toBe(0);
      expect(await messageCount(plain.conversationId)).toBe(0);
      expect((await conversation(encrypted.alice, encrypted.conversationId)).lastActivityAt).toBeDefined();
      const [{ last_seq }] = await t.db.query('SELECT last_seq FROM conversations WHERE id = $1', [encrypted.conversationId]);
      expect(last_seq).toBe(0);
    });

    it('refuses a plaintext upload in an encrypted conversation and an encrypted blob in a plaintext one, leaving the upload unsent', async () => {
      const encrypted = await pair();
      const plain = await pair({ encrypted: false });
      const image = (await uploadPlain(encrypted.alice, await png()).expect(201)).body;
      const blob = (await uploadBlob(plain.alice, randomBytes(300)).expect(201)).body;

      const wrongFile = await send(encrypted.alice, encrypted.conversationId, { ciphertext: MEGOLM, attachmentIds: [image.id] }).expect(400);
      expect(wrongFile.body.code).toBe('ENCRYPTION_MISMATCH');
      const wrongBlob = await send(plain.alice, plain.conversationId, { body: 'see this', attachmentIds: [blob.id] }).expect(400);
      expect(wrongBlob.body.code).toBe('ENCRYPTION_MISMATCH');

      expect(await messageCount(encrypted.conversationId)).toBe(0);
      expect(await messageCount(plain.conversationId)).toBe(0);
      const rows = await t.db.query('SELECT id, message_id FROM attachments WHERE id = ANY($1) ORDER BY id', [[image.id, blob.id]]);
      expect(rows.map((r: { message_id: string | null }) => r.message_id)).toEqual([null, null]);
      // The right kind goes through.
      const ownBlob = (await uploadBlob(encrypted.alice, randomBytes(300)).expect(201)).body;
      const ok = await send(encrypted.alice, encrypted.conversationId, { ciphertext: MEGOLM, attachmentIds: [ownBlob.id] }).expect(201);
      expect(ok.body.attachments).toEqual([expect.objectContaining({ id: ownBlob.id, kind: 'encrypted' })]);
    });

    it('refuses malformed ciphertext (400) and ciphertext over 64 KiB (413), writing nothing', async () => {
      const { alice, conversationId } = await pair();
      const { algorithm, ...noAlgorithm } = MEGOLM;
      expect(algorithm).toBeDefined();
      const { session_id, ...noSession } = MEGOLM;
      expect(session_id).toBeDefined();
      for (const ciphertext of [
        { ...MEGOLM, algorithm: 'm.olm.v1.curve25519-aes-sha2' },
        noAlgorithm,
        noSession,
        { ...MEGOLM, ciphertext: 'not base64!' },
        { ...MEGOLM, ciphertext: '' },
        { ...MEGOLM, ciphertext: 42 },
        { ...MEGOLM, session_id: '<script>' },
        // Half a surrogate pair cannot be stored in jsonb: a 400, never a 500.
        { ...MEGOLM, device_id: '\ud800' },
        { ...MEGOLM, device_id: 'with space' },
        { ...MEGOLM, 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x' } },
        { ...MEGOLM, body: 'plaintext hidden in the envelope' },
        JSON.stringify(MEGOLM),
        [MEGOLM],
        null,
      ]) {
        const res = await send(alice, conversationId, { ciphertext }).expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
      const huge = await send(alice, conversationId, { ciphertext: { ...MEGOLM, ciphertext: 'A'.repeat(65_500) } }).expect(413);
      expect(huge.body.code).toBe('CIPHERTEXT_TOO_LARGE');
      // Right at the limit is fine.
      const fits = 65_536 - Buffer.byteLength(JSON.stringify({ ...MEGOLM, ciphertext: '' }));
      await send(alice, conversationId, { ciphertext: { ...MEGOLM, ciphertext: 'A'.repeat(fits) } }).expect(201);
      expect(await messageCount(conversationId)).toBe(1);
    });

    it('is idempotent per clientId: the same ciphertext (any key order) replays, another one conflicts', async () => {
      const { alice, conversationId } = await pair();
      const clientId = randomUUID();
      const first = await send(alice, conversationId, { clientId, ciphertext: MEGOLM }).expect(201);
      const reordered = Object.fromEntries(Object.entries(MEGOLM).reverse());
      const replay = await send(alice, conversationId, { clientId, ciphertext: reordered }).expect(200);
      expect(replay.body).toEqual(first.body);
      const other = await send(alice, conversationId, { clientId, ciphertext: megolm() }).expect(409);
      expect(other.body.code).toBe('CLIENT_ID_CONFLICT');
      expect(await messageCount(conversationId)).toBe(1);
    });

    it('replays a plaintext send after encryption was turned on, but takes no new plaintext', async () => {
      const { alice, conversationId } = await pair({ encrypted: false });
      const clientId = randomUUID();
      const first = await send(alice, conversationId, { clientId, body: 'before' }).expect(201);
      await t.http.patch(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).send({ encrypted: true }).expect(200);
      expect((await send(alice, conversationId, { clientId, body: 'before' }).expect(200)).body.id).toBe(first.body.id);
      expect((await send(alice, conversationId, { body: 'after' }).expect(400)).body.code).toBe('ENCRYPTION_MISMATCH');
    });
  });

  describe('races (PostgreSQL)', () => {
    /** Runs `request` while another transaction holds `lockSql`, checks it waits on that lock, then commits. */
    async function whileLocked<T>(lockSql: string, params: unknown[], request: () => Promise<T>): Promise<T> {
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      try {
        await runner.query(lockSql, params);
        let answered = false;
        const pending = request().then((res) => {
          answered = true;
          return res;
        });
        const waiting = async () =>
          Number(
            (
              await runner.query(
                `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`,
              )
            )[0].n,
          ) > 0;
        for (let polls = 0; !(await waiting()); polls++) {
          if (polls > 5000 || answered) throw new Error('the request did not wait for the lock');
          await new Promise((resolve) => setImmediate(resolve));
        }
        await runner.commitTransaction();
        return await pending;
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
    }

    onPostgres('a plaintext send in flight when encryption is turned on is refused, not stored after it', async () => {
      const { alice, conversationId } = await pair({ encrypted: false });
      const res = await whileLocked(`UPDATE conversations SET encrypted = true WHERE id = $1`, [conversationId], () =>
        send(alice, conversationId, { body: 'just too late' }),
      );
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('ENCRYPTION_MISMATCH');
      expect(await messageCount(conversationId)).toBe(0);
    });

    onPostgres('a reaction committing while its message is deleted goes with it', async () => {
      const { alice, bob, conversationId } = await pair();
      const target = (await send(alice, conversationId, { ciphertext: MEGOLM }).expect(201)).body;
      // A reaction sent in another transaction, not yet committed: send_message holds the message share-locked.
      // The delete's tombstone waits for that lock, so its purge of the reactions sees the reaction.
      const runner = t.db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      let reactionId: string;
      try {
        const [sent] = await runner.query(
          `SELECT outcome, message->>'id' AS id FROM send_message(NULL, NULL, $1, $2, $3, NULL, $4::jsonb, 'reaction', $5, $6, false, NULL, NULL)`,
          [conversationId, bob.id, randomUUID(), JSON.stringify(megolm()), target.id, t.clock.now()],
        );
        expect(sent.outcome).toBe('created');
        reactionId = sent.id;
        const deleting = t.http.delete(`/api/messages/${target.id}`).set(bearer(alice.accessToken)).then((r) => r);
        for (let polls = 0; ; polls++) {
          const [{ n }] = await runner.query(
            `SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())`,
          );
          if (n > 0) break;
          if (polls > 5000) throw new Error('the delete did not wait');
          await new Promise((resolve) => setImmediate(resolve));
        }
        await runner.commitTransaction();
        expect((await deleting).status).toBe(204);
      } finally {
        if (runner.isTransactionActive) await runner.rollbackTransaction();
        await runner.release();
      }
      expect(await t.db.query(`SELECT id FROM messages WHERE id = $1`, [reactionId])).toEqual([]);
      const late = await send(bob, conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo: target.id });
      expect(late.body.code).toBe('RELATED_MESSAGE_NOT_FOUND');
      expect(await t.db.query(`SELECT id FROM messages WHERE relates_to = $1`, [target.id])).toEqual([]);
    });
  });

  describe('editing and deleting', () => {
    it('an edit replaces the ciphertext; a body, or a ciphertext in a plaintext conversation, is ENCRYPTION_MISMATCH', async () => {
      const { alice, bob, conversationId } = await pair();
      const bobSocket = await connect(t, bob.accessToken);
      const sent = (await send(alice, conversationId, { ciphertext: MEGOLM }).expect(201)).body;
      const replacement = megolm();

      t.clock.advance(SECOND);
      const edited = await t.http.patch(`/api/messages/${sent.id}`).set(bearer(alice.accessToken)).send({ ciphertext: replacement }).expect(200);
      expect(edited.body).toMatchObject({ id: sent.id, ciphertext: replacement, body: null, editedAt: expect.any(String) });
      expect(await bobSocket.waitFor('message.updated', (m: { id: string }) => m.id === sent.id)).toMatchObject({ ciphertext: replacement });
      const [row] = await t.db.query('SELECT ciphertext FROM messages WHERE id = $1', [sent.id]);
      expect(row.ciphertext).toEqual(replacement);

      const body = await t.http.patch(`/api/messages/${sent.id}`).set(bearer(alice.accessToken)).send({ body: 'plain' }).expect(400);
      expect(body.body.code).toBe('ENCRYPTION_MISMATCH');
      const bad = await t.http.patch(`/api/messages/${sent.id}`).set(bearer(alice.accessToken)).send({ ciphertext: { ...MEGOLM, algorithm: 'x' } }).expect(400);
      expect(bad.body.code).toBe('VALIDATION_FAILED');
      const notMine = await t.http.patch(`/api/messages/${sent.id}`).set(bearer(bob.accessToken)).send({ ciphertext: megolm() }).expect(403);
      expect(notMine.body.code).toBe('NOT_MESSAGE_SENDER');
      expect((await t.db.query('SELECT ciphertext FROM messages WHERE id = $1', [sent.id]))[0].ciphertext).toEqual(replacement);

      const plain = await pair({ encrypted: false });
      const plainMessage = (await send(plain.alice, plain.conversationId, { body: 'plain' }).expect(201)).body;
      const wrong = await t.http.patch(`/api/messages/${plainMessage.id}`).set(bearer(plain.alice.accessToken)).send({ ciphertext: MEGOLM }).expect(400);
      expect(wrong.body.code).toBe('ENCRYPTION_MISMATCH');
    });

    it('an edit of a message from before encryption was on needs a ciphertext, and leaves no plaintext behind', async () => {
      const { alice, conversationId } = await pair({ encrypted: false });
      const old = (await send(alice, conversationId, { body: 'said in the clear' }).expect(201)).body;
      await t.http.patch(`/api/conversations/${conversationId}`).set(bearer(alice.accessToken)).send({ encrypted: true }).expect(200);

      expect((await t.http.patch(`/api/messages/${old.id}`).set(bearer(alice.accessToken)).send({ body: 'again' }).expect(400)).body.code).toBe(
        'ENCRYPTION_MISMATCH',
      );
      await t.http.patch(`/api/messages/${old.id}`).set(bearer(alice.accessToken)).send({ ciphertext: MEGOLM }).expect(200);
      expect(await t.db.query('SELECT body, ciphertext FROM messages WHERE id = $1', [old.id])).toEqual([{ body: null, ciphertext: MEGOLM }]);
    });

    it('a delete wipes the ciphertext and its blobs and keeps the tombstone', async () => {
      const { alice, bob, conversationId } = await pair();
      const blob = (await uploadBlob(alice, randomBytes(1000)).expect(201)).body;
      const sent = (await send(alice, conversationId, { ciphertext: MEGOLM, attachmentIds: [blob.id] }).expect(201)).body;

      await t.http.delete(`/api/messages/${sent.id}`).set(bearer(alice.accessToken)).expect(204);

      expect(await t.db.query('SELECT body, ciphertext, deleted_at IS NOT NULL AS deleted FROM messages WHERE id = $1', [sent.id])).toEqual([
        { body: null, ciphertext: null, deleted: true },
      ]);
      expect(await t.db.query('SELECT id FROM attachments WHERE id = $1', [blob.id])).toEqual([]);
      expect((await history(bob, conversationId))[0]).toMatchObject({ id: sent.id, deleted: true, ciphertext: null, body: null, attachments: [] });
      await downloadFile(t.http, bob, `/api/attachments/${blob.id}`).expect(404);
      const edit = await t.http.patch(`/api/messages/${sent.id}`).set(bearer(alice.accessToken)).send({ ciphertext: megolm() }).expect(409);
      expect(edit.body.code).toBe('MESSAGE_NOT_EDITABLE');
    });
  });

  describe('reactions and relations', () => {
    it('a reaction needs a message of the same conversation that is still there', async () => {
      const one = await pair();
      const other = await pair();
      const target = (await send(one.alice, one.conversationId, { ciphertext: MEGOLM }).expect(201)).body;
      const elsewhere = (await send(other.alice, other.conversationId, { ciphertext: MEGOLM }).expect(201)).body;

      const noTarget = await send(one.bob, one.conversationId, { ciphertext: megolm(), kind: 'reaction' }).expect(400);
      expect(noTarget.body.code).toBe('VALIDATION_FAILED');
      for (const relatesTo of [elsewhere.id, randomUUID()]) {
        const res = await send(one.bob, one.conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo }).expect(400);
        expect(res.body.code).toBe('RELATED_MESSAGE_NOT_FOUND');
      }
      const badKind = await send(one.bob, one.conversationId, { ciphertext: megolm(), kind: 'edit', relatesTo: target.id }).expect(400);
      expect(badKind.body.code).toBe('VALIDATION_FAILED');

      const reaction = (await send(one.bob, one.conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo: target.id }).expect(201)).body;
      expect(reaction).toMatchObject({ kind: 'reaction', relatesTo: target.id });
      // Not at a reaction, nor at a deleted message.
      const atReaction = await send(one.alice, one.conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo: reaction.id }).expect(400);
      expect(atReaction.body.code).toBe('RELATED_MESSAGE_NOT_FOUND');
      await t.http.delete(`/api/messages/${target.id}`).set(bearer(one.alice.accessToken)).expect(204);
      const atDeleted = await send(one.bob, one.conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo: target.id }).expect(400);
      expect(atDeleted.body.code).toBe('RELATED_MESSAGE_NOT_FOUND');
      // A reply (kind message) in a plaintext conversation points at its message in the clear too.
      const plain = await pair({ encrypted: false });
      const question = (await send(plain.alice, plain.conversationId, { body: 'lunch?' }).expect(201)).body;
      const reply = (await send(plain.bob, plain.conversationId, { body: 'yes', relatesTo: question.id }).expect(201)).body;
      expect(reply).toMatchObject({ kind: 'message', relatesTo: question.id, ciphertext: null });
    });

    it('reactions never count as unread, and go when their message is deleted; replies stay', async () => {
      const { alice, bob, conversationId } = await pair();
      const aliceSocket = await connect(t, alice.accessToken);
      const target = (await send(alice, conversationId, { ciphertext: MEGOLM }).expect(201)).body;
      const reaction = (await send(bob, conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo: target.id }).expect(201)).body;
      expect(await aliceSocket.waitFor('message.created', (m: { id: string }) => m.id === reaction.id)).toMatchObject({ kind: 'reaction' });
      expect((await conversation(alice, conversationId)).unreadCount).toBe(0);
      // Nor are they the chat's last message, for either member.
      expect((await conversation(alice, conversationId)).lastMessage.id).toBe(target.id);
      expect((await conversation(bob, conversationId)).lastMessage.id).toBe(target.id);
      const reply = (await send(bob, conversationId, { ciphertext: megolm(), relatesTo: target.id }).expect(201)).body;
      expect((await conversation(alice, conversationId)).unreadCount).toBe(1);

      await t.http.delete(`/api/messages/${target.id}`).set(bearer(alice.accessToken)).expect(204);

      expect(await t.db.query('SELECT id FROM messages WHERE id = $1', [reaction.id])).toEqual([]);
      expect(await t.db.query('SELECT relates_to FROM messages WHERE id = $1', [reply.id])).toEqual([{ relates_to: target.id }]);
      expect((await history(alice, conversationId)).map((m: { id: string }) => m.id)).toEqual([target.id, reply.id]);
    });

    it("an erasure takes the peer's reactions to the erased user's messages along", async () => {
      const { alice, bob, conversationId } = await pair();
      const target = (await send(alice, conversationId, { ciphertext: MEGOLM }).expect(201)).body;
      const reaction = (await send(bob, conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo: target.id }).expect(201)).body;
      const own = (await send(bob, conversationId, { ciphertext: megolm() }).expect(201)).body;

      await t.http.delete('/api/users/me').set(bearer(alice.accessToken)).send({ password: PASSWORD }).expect(200);

      const left = await t.db.query('SELECT id FROM messages WHERE conversation_id = $1', [conversationId]);
      expect(left).toEqual([{ id: own.id }]);
      expect(reaction.id).not.toBe(own.id);
    });
  });

  describe('disappearing encrypted messages', () => {
    it('are gone from every table and from storage after the sweep, with their reactions, and both members are told', async () => {
      const { alice, bob, conversationId } = await pair();
      const bobSocket = await connect(t, bob.accessToken);
      const blob = (await uploadBlob(alice, randomBytes(2048)).expect(201)).body;
      const [{ storage_key: key }] = await t.db.query('SELECT storage_key FROM attachments WHERE id = $1', [blob.id]);
      expect(await storedFiles()).toContain(key);
      const secret = megolm();
      const timed = (await send(alice, conversationId, { ciphertext: secret, attachmentIds: [blob.id], expiresInSeconds: 60 }).expect(201)).body;
      const reaction = (await send(bob, conversationId, { ciphertext: megolm(), kind: 'reaction', relatesTo: timed.id }).expect(201)).body;
      const stays = (await send(bob, conversationId, { ciphertext: megolm() }).expect(201)).body;

      t.clock.advance(60 * SECOND);
      // Never served from its instant on, before the sweep.
      expect((await history(bob, conversationId)).map((m: { id: string }) => m.id)).toEqual([reaction.id, stays.id]);
      await downloadFile(t.http, bob, `/api/attachments/${blob.id}`).expect(404);

      await t.app.get(ExpiryService).sweep();

      const expired = await bobSocket.waitFor('message.expired', (e: { conversationId: string }) => e.conversationId === conversationId);
      expect((expired as unknown as { messageIds: string[] }).messageIds.sort()).toEqual([timed.id, reaction.id].sort());
      expect(await t.db.query('SELECT id FROM messages WHERE id = ANY($1)', [[timed.id, reaction.id]])).toEqual([]);
      expect(await t.db.query('SELECT id FROM attachments WHERE id = $1', [blob.id])).toEqual([]);
      expect(await t.db.query('SELECT storage_key FROM storage_deletions WHERE storage_key = $1', [key])).toEqual([]);
      expect(await storedFiles()).not.toContain(key);
      // No copy of the ciphertext anywhere in the database.
      const tables: { table_name: string }[] = await t.db.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
      );
      for (const { table_name } of tables) {
        const hits = await t.db.query(`SELECT 1 FROM "${table_name}" x WHERE x::text LIKE $1 OR x::text LIKE $2`, [
          `%${secret.ciphertext.slice(0, 40)}%`,
          `%${timed.id}%`,
        ]);
        expect({ table_name, hits: hits.length }).toEqual({ table_name, hits: 0 });
      }
      expect((await history(bob, conversationId)).map((m: { id: string }) => m.id)).toEqual([stays.id]);
    });
  });

  describe('encrypted blobs', () => {
    it('are stored byte for byte, untyped and unprocessed, and served as an octet-stream download', async () => {
      const { alice, bob, conversationId } = await pair();
      const jpeg = await jpegWithGps();

      const res = await uploadBlob(alice, jpeg, 'holiday in Nice.jpg', 'image/jpeg').expect(201);
      expect(res.body).toMatchObject({
        kind: 'encrypted',
        mimeType: 'application/octet-stream',
        name: 'encrypted.bin',
        size: jpeg.length,
        width: null,
        height: null,
        durationSeconds: null,
        thumbnailUrl: null,
      });
      const [row] = await t.db.query('SELECT kind, mime_type, name, storage_key, thumbnail_key, width FROM attachments WHERE id = $1', [res.body.id]);
      expect(row).toMatchObject({ kind: 'encrypted', mime_type: 'application/octet-stream', name: 'encrypted.bin', thumbnail_key: null, width: null });
      expect(Buffer.compare(await readFile(join(uploadDir, row.storage_key)), jpeg)).toBe(0);

      await send(alice, conversationId, { ciphertext: MEGOLM, attachmentIds: [res.body.id] }).expect(201);
      const download = await downloadFile(t.http, bob, `/api/attachments/${res.body.id}`).expect(200);
      expect(Buffer.compare(download.body as Buffer, jpeg)).toBe(0);
      expect(download.headers['content-type']).toBe('application/octet-stream');
      expect(download.headers['content-disposition']).toMatch(/^attachment; filename="encrypted\.bin"/);
      expect(download.headers['x-content-type-options']).toBe('nosniff');
      const range = await downloadFile(t.http, bob, `/api/attachments/${res.body.id}`, { Range: 'bytes=0-9' }).expect(206);
      expect(Buffer.compare(range.body as Buffer, jpeg.subarray(0, 10))).toBe(0);
      await downloadFile(t.http, bob, `/api/attachments/${res.body.id}/thumbnail`).expect(404);
    });

    it('keep the upload rules: a file part is required, empty is refused, and strangers cannot download', async () => {
      const { alice, bob } = await pair();
      const stranger = await register(t.http);
      expect((await uploadBlob(alice, Buffer.alloc(0)).expect(400)).body.code).toBe('EMPTY_FILE');
      const noFile = await t.http.post('/api/attachments/encrypted').set(bearer(alice.accessToken)).field('note', 'x').expect(400);
      expect(['FILE_REQUIRED', 'TOO_MANY_PARTS']).toContain(noFile.body.code);
      const json = await t.http.post('/api/attachments/encrypted').set(bearer(alice.accessToken)).send({ file: 'x' }).expect(415);
      expect(json.body.code).toBe('MULTIPART_REQUIRED');
      await t.http.post('/api/attachments/encrypted').attach('file', randomBytes(10), 'blob').expect(401);

      const blob = (await uploadBlob(alice, randomBytes(64)).expect(201)).body;
      await downloadFile(t.http, alice, `/api/attachments/${blob.id}`).expect(200);
      await downloadFile(t.http, bob, `/api/attachments/${blob.id}`).expect(404);
      await downloadFile(t.http, stranger, `/api/attachments/${blob.id}`).expect(404);
    });
  });

  describe('the export', () => {
    it('labels ciphertext messages and encrypted blobs as readable only on the users devices', async () => {
      const { alice, conversationId } = await pair();
      const blob = (await uploadBlob(alice, randomBytes(256)).expect(201)).body;
      const sent = (await send(alice, conversationId, { ciphertext: MEGOLM, attachmentIds: [blob.id] }).expect(201)).body;

      const res = await t.http.get('/api/users/me/export').set(bearer(alice.accessToken)).buffer(true).parse(binary).expect(200);
      const zip = await fromBufferPromise(res.body as Buffer, { lazyEntries: true });
      const files = new Map<string, Buffer>();
      for await (const entry of zip.eachEntry()) files.set(entry.fileName, await buffer(await zip.openReadStreamPromise(entry)));

      const document = JSON.parse(files.get(`conversations/${conversationId}.json`)!.toString('utf8'));
      expect(document.encrypted).toBe(true);
      expect(document.messages).toEqual([expect.objectContaining({ id: sent.id, encrypted: true, ciphertext: MEGOLM, body: null })]);
      expect(files.has(`attachments/${blob.id}-encrypted.bin`)).toBe(true);
      expect(files.get('README.txt')!.toString('utf8')).toMatch(/only your devices/);
    });
  });
});

describe('encrypted conversations with E2EE_DEFAULT=false (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ E2EE_DEFAULT: 'false' });
  });
  afterAll(() => t.close());

  it('makes a new conversation plaintext unless the client asks for encryption', async () => {
    const [alice, bob, carol] = [await register(t.http), await register(t.http), await register(t.http)];
    await befriend(t.http, alice, bob);
    await befriend(t.http, alice, carol);
    expect((await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: bob.id }).expect(201)).body.encrypted).toBe(false);
    expect((await t.http.post('/api/conversations').set(bearer(alice.accessToken)).send({ userId: carol.id, encrypted: true }).expect(201)).body.encrypted).toBe(
      true,
    );
  });
});
