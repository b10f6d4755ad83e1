import { DecryptionErrorCode } from '@matrix-org/matrix-sdk-crypto-wasm';
import { SchedulerRegistry } from '@nestjs/schedule';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { DEFAULT_SEED_PASSWORD, seed, type SeedResult } from '../src/cli/seed.js';
import { ExpiryService } from '../src/messages/expiry.service.js';
import { E2eeTestDevice, type EncryptedEvent } from './helpers/e2ee-device.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer } from './helpers/users.js';

/** Every row of every table, ordered by primary key, ids and timestamps included. */
async function tableRows(db: DataSource): Promise<Record<string, unknown[]>> {
  const tables: { table_name: string }[] = await db.query(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const snapshot: Record<string, unknown[]> = {};
  for (const { table_name: table } of tables) {
    const keys: { name: string }[] = await db.query(
      `SELECT a.attname AS name
         FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
        WHERE i.indrelid = $1::regclass AND i.indisprimary
        ORDER BY array_position(i.indkey::int2[], a.attnum)`,
      [`"${table}"`],
    );
    const order = keys.length > 0 ? keys.map((key) => `"${key.name}"`).join(', ') : 't::text';
    snapshot[table] = await db.query(`SELECT * FROM "${table}" t ORDER BY ${order}`);
  }
  return snapshot;
}

/** Every file under the upload directory with its size. */
async function storedFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  return Promise.all(files.sort().map(async (path) => `${path.slice(root.length + 1)} ${(await stat(path)).size}`));
}

describe('seed (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  let first: SeedResult;
  let second: SeedResult;
  let afterFirst: { rows: Record<string, unknown[]>; files: string[] };
  let afterSecond: { rows: Record<string, unknown[]>; files: string[] };

  const snapshot = async () => ({ rows: await tableRows(t.db), files: await storedFiles(uploadDir) });
  const signIn = async (username: string) => {
    const res = await t.http.post('/api/auth/login').send({ username, password: DEFAULT_SEED_PASSWORD }).expect(200);
    return { id: res.body.user.id as string, token: res.body.accessToken as string };
  };
  const idOf = async (username: string) => (await t.db.query('SELECT id FROM users WHERE username = $1', [username]))[0].id as string;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-seed-uploads-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
    // The hourly session clean-up would add a job_runs row if the hour turned between the two snapshots.
    for (const job of t.app.get(SchedulerRegistry).getCronJobs().values()) job.stop();
    first = await seed(t.app);
    afterFirst = await snapshot();
    second = await seed(t.app);
    afterSecond = await snapshot();
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  it('leaves every row and every stored file exactly as one run did when it runs again', () => {
    expect(first.created).toEqual({ users: 4, friendships: 3, friendRequests: 1, conversations: 3, messages: 14, encryptedMessages: 4, attachments: 1 });
    expect(second.created).toEqual({ users: 0, friendships: 0, friendRequests: 0, conversations: 0, messages: 0, encryptedMessages: 0, attachments: 0 });
    expect(second.existingUsers).toEqual(['alice', 'bob', 'charlie', 'dana']);
    expect(afterFirst.rows.messages).toHaveLength(18);
    expect(afterFirst.files).toHaveLength(2);
    expect(afterSecond).toEqual(afterFirst);
  });

  it('creates alice, bob, charlie and dana, who sign in with the demo password', async () => {
    const rows = await t.db.query(`SELECT username::text, display_name, role FROM users ORDER BY username`);
    expect(rows).toEqual([
      { username: 'alice', display_name: 'Alice', role: 'user' },
      { username: 'bob', display_name: 'Bob', role: 'user' },
      { username: 'charlie', display_name: 'Charlie', role: 'user' },
      { username: 'dana', display_name: 'Dana', role: 'user' },
    ]);
    for (const username of ['alice', 'bob', 'charlie', 'dana']) await signIn(username);
  });

  it('makes alice and bob, bob and charlie, and alice and dana friends, with charlie’s request to alice pending', async () => {
    const bob = await signIn('bob');
    const friends = await t.http.get('/api/friends').set(bearer(bob.token)).expect(200);
    expect(friends.body.items.map((friend: { username: string }) => friend.username)).toEqual(['alice', 'charlie']);
    const pairs = await t.db.query(
      `SELECT a.username::text AS a, b.username::text AS b FROM friendships f
         JOIN users a ON a.id = f.user_id JOIN users b ON b.id = f.friend_id ORDER BY 1, 2`,
    );
    expect(pairs).toEqual([
      { a: 'alice', b: 'bob' },
      { a: 'alice', b: 'dana' },
      { a: 'bob', b: 'alice' },
      { a: 'bob', b: 'charlie' },
      { a: 'charlie', b: 'bob' },
      { a: 'dana', b: 'alice' },
    ]);

    const alice = await signIn('alice');
    const incoming = await t.http.get('/api/friends/requests?direction=incoming').set(bearer(alice.token)).expect(200);
    expect(incoming.body.items).toEqual([expect.objectContaining({ from: expect.objectContaining({ username: 'charlie' }) })]);
    const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM friend_requests');
    expect(n).toBe(1);
  });

  it('writes the two plaintext conversations, the alice–bob one with a message that disappears 5 minutes after sending', async () => {
    const alice = await signIn('alice');
    const list = await t.http.get('/api/conversations').set(bearer(alice.token)).expect(200);
    expect(list.body.items.map((item: { peer: { username: string } }) => item.peer.username).sort()).toEqual(['bob', 'dana']);
    const conversation = list.body.items.find((item: { peer: { username: string } }) => item.peer.username === 'bob');
    expect(conversation.encrypted).toBe(false);
    // alice has read up to her own last reply; bob's answer after it is new to her.
    expect(conversation.unreadCount).toBe(1);

    const history = await t.http.get(`/api/conversations/${conversation.id}/messages`).set(bearer(alice.token)).expect(200);
    expect(history.body.items).toHaveLength(9);
    const timed = history.body.items.filter((message: { expiresInSeconds: number | null }) => message.expiresInSeconds !== null);
    expect(timed).toEqual([expect.objectContaining({ senderId: alice.id, expiryMode: 'afterSend', expiresInSeconds: 300 })]);
    expect(new Date(timed[0].expiresAt).getTime() - new Date(timed[0].createdAt).getTime()).toBe(300_000);

    const charlie = await signIn('charlie');
    const charlies = await t.http.get('/api/conversations').set(bearer(charlie.token)).expect(200);
    expect(charlies.body.items).toEqual([expect.objectContaining({ peer: expect.objectContaining({ username: 'bob' }), unreadCount: 0, encrypted: false })]);
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`, [charlies.body.items[0].id]);
    expect(n).toBe(5);
  });

  it('writes an encrypted alice–dana conversation: Megolm ciphertext and no body, from devices that are signed out again', async () => {
    const alice = await signIn('alice');
    const list = await t.http.get('/api/conversations').set(bearer(alice.token)).expect(200);
    const conversation = list.body.items.find((item: { peer: { username: string } }) => item.peer.username === 'dana');
    expect(conversation).toEqual(expect.objectContaining({ encrypted: true, unreadCount: 0 }));
    const history = await t.http.get(`/api/conversations/${conversation.id}/messages`).set(bearer(alice.token)).expect(200);
    const items: { senderId: string; senderDeviceId: string; body: string | null; ciphertext: Record<string, string> }[] = history.body.items;
    expect(items.map((message) => message.senderId)).toEqual([conversation.peer.id, alice.id, conversation.peer.id, alice.id]);
    for (const message of items) {
      expect(message.body).toBeNull();
      expect(message.ciphertext).toEqual({
        algorithm: 'm.megolm.v1.aes-sha2',
        ciphertext: expect.stringMatching(/^[A-Za-z0-9+/]{100,}$/),
        session_id: expect.any(String),
        sender_key: expect.any(String),
        device_id: message.senderDeviceId,
      });
    }
    // One device and one Megolm session per sender.
    expect(new Set(items.map((message) => message.senderDeviceId)).size).toBe(2);
    expect(new Set(items.map((message) => message.ciphertext.session_id)).size).toBe(2);
    const sessions = await t.db.query('SELECT revoked_at FROM sessions WHERE id = ANY ($1::uuid[])', [items.map((message) => message.senderDeviceId)]);
    expect(sessions).toEqual([{ revoked_at: expect.any(Date) }, { revoked_at: expect.any(Date) }]);
    for (const table of ['e2ee_devices', 'e2ee_one_time_keys', 'e2ee_fallback_keys', 'e2ee_to_device_messages']) {
      expect(afterFirst.rows[table]).toEqual([]);
    }
  });

  it('lets new devices of alice and dana continue the encrypted conversation, but not read what the seed wrote', async () => {
    const alice = await signIn('alice');
    const dana = await signIn('dana');
    const [{ id: conversationId }] = await t.db.query('SELECT id FROM conversations WHERE encrypted');
    const room = `!${conversationId}:iris`;
    const members = [`@${alice.id}:iris`, `@${dana.id}:iris`];
    const aliceDevice = await E2eeTestDevice.create(t, alice.token);
    const danaDevice = await E2eeTestDevice.create(t, dana.token);
    try {
      const history = await t.http.get(`/api/conversations/${conversationId}/messages`).set(bearer(alice.token)).expect(200);
      for (const message of history.body.items) {
        const event: EncryptedEvent = {
          type: 'm.room.encrypted',
          event_id: `$${message.id}`,
          sender: `@${message.senderId}:iris`,
          origin_server_ts: Date.parse(message.createdAt),
          content: message.ciphertext,
        };
        expect(await aliceDevice.decryptError(room, event)).toBe(DecryptionErrorCode.MissingRoomKey);
      }

      const event = await aliceDevice.encrypt(room, members, 'Back on a new laptop: still Friday?');
      await t.http
        .post(`/api/conversations/${conversationId}/messages`)
        .set(bearer(alice.token))
        .send({ clientId: crypto.randomUUID(), ciphertext: event.content })
        .expect(201);
      expect(await danaDevice.decrypt(room, event)).toBe('Back on a new laptop: still Friday?');
      const reply = await danaDevice.encrypt(room, members, 'Still Friday!');
      expect(await aliceDevice.decrypt(room, reply)).toBe('Still Friday!');
    } finally {
      aliceDevice.close();
      danaDevice.close();
    }
  });

  it('sends alice’s photo to bob as an image attachment with a thumbnail', async () => {
    const rows = await t.db.query(
      `SELECT a.id, a.kind, a.mime_type, a.thumbnail_key, a.width, a.height, m.sender_id
         FROM attachments a JOIN messages m ON m.id = a.message_id`,
    );
    expect(rows).toEqual([
      expect.objectContaining({ kind: 'image', mime_type: 'image/jpeg', width: 640, height: 400, sender_id: await idOf('alice') }),
    ]);
    expect(rows[0].thumbnail_key).toEqual(expect.any(String));
    const bob = await signIn('bob');
    const thumbnail = await t.http.get(`/api/attachments/${rows[0].id}/thumbnail`).set(bearer(bob.token)).expect(200);
    expect(thumbnail.headers['content-type']).toBe('image/webp');
    await t.http.get(`/api/attachments/${rows[0].id}`).set(bearer(bob.token)).expect(200).expect('content-type', 'image/jpeg');
  });

  it('refuses a production instance unless forced', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'iris-seed-uploads-'));
    const production = await createTestApp({ NODE_ENV: 'production', UPLOAD_DIR: dir });
    try {
      await expect(seed(production.app)).rejects.toThrow('Refusing to seed demo users with a known password into a production instance');
      const [{ n }] = await production.db.query('SELECT count(*)::int AS n FROM users');
      expect(n).toBe(0);

      const forced = await seed(production.app, { force: true, password: 'another-demo-password' });
      expect(forced.created.users).toBe(4);
      await production.http.post('/api/auth/login').send({ username: 'alice', password: 'another-demo-password' }).expect(200);
    } finally {
      await production.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('adds nothing when run again after its timed message has expired and been swept', async () => {
    await seed(t.app);
    t.clock.advance(10 * 60_000);
    await t.app.get(ExpiryService).sweep();
    const again = await seed(t.app);
    expect(again.created.messages).toBe(0);
  });
});
