import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

/** The key backup's byte cap and its paged read (`limit`, `from`, `next_batch`). */
describe('key backup limits and paging (e2e)', () => {
  const MAX_BYTES = 2000;
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ KEY_BACKUP_MAX_BYTES: String(MAX_BYTES) });
  });
  afterAll(() => t.close());

  const ROOMS = ['!00000000-0000-4000-8000-000000000001:iris', '!00000000-0000-4000-8000-000000000002:iris'];
  // 43 + 400 + 4 = 447 bytes a session: four fit under 2,000, five do not.
  const sealed = (first = 0, ciphertext = 'QUJD'.repeat(100)) => ({
    first_message_index: first,
    forwarded_count: 0,
    is_verified: true,
    session_data: { ephemeral: 'A'.repeat(43), ciphertext, mac: 'QUJD' },
  });

  async function backup(user: Registered): Promise<string> {
    const res = await t.http
      .post('/api/e2ee/room_keys/version')
      .set(bearer(user.accessToken))
      .send({ algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'A'.repeat(43) } })
      .expect(200);
    return res.body.version;
  }
  const put = (user: Registered, version: string, rooms: object) => t.http.put('/api/e2ee/room_keys/keys').query({ version }).set(bearer(user.accessToken)).send({ rooms });
  const get = (user: Registered, query: object) => t.http.get('/api/e2ee/room_keys/keys').query(query).set(bearer(user.accessToken));

  it('refuses an upload that would take the backup over KEY_BACKUP_MAX_BYTES with 409 BACKUP_FULL, storing nothing of it', async () => {
    const alice = await register(t.http);
    const version = await backup(alice);
    await put(alice, version, { [ROOMS[0]]: { sessions: { s1: sealed(), s2: sealed(), s3: sealed() } } }).expect(200);

    const over = await put(alice, version, { [ROOMS[1]]: { sessions: { s4: sealed(), s5: sealed() } } }).expect(409);

    expect(over.body.code).toBe('BACKUP_FULL');
    expect((await t.http.get('/api/e2ee/room_keys/version').set(bearer(alice.accessToken)).expect(200)).body.count).toBe(3);
    // One more fits, and then nothing.
    expect((await put(alice, version, { [ROOMS[1]]: { sessions: { s4: sealed() } } }).expect(200)).body.count).toBe(4);
    const s5 = await put(alice, version, { [ROOMS[1]]: { sessions: { s5: sealed() } } }).expect(409);
    expect(s5.body.code).toBe('BACKUP_FULL');
  });

  it('reads the backup a page at a time with limit and from, the pages adding up to the whole (Matrix-shaped without limit)', async () => {
    const bob = await register(t.http);
    const small = (i: number) => sealed(i, 'QUJD');
    const version = await backup(bob);
    await put(bob, version, {
      [ROOMS[0]]: { sessions: { a1: small(0), a2: small(0), a3: small(0), a4: small(0) } },
      [ROOMS[1]]: { sessions: { b1: small(0), b2: small(0), b3: small(0) } },
    }).expect(200);

    const whole = (await get(bob, { version }).expect(200)).body;
    expect(whole.next_batch).toBeUndefined();
    expect(Object.values(whole.rooms).flatMap((room) => Object.keys((room as { sessions: object }).sessions))).toHaveLength(7);

    const merged: Record<string, { sessions: Record<string, unknown> }> = {};
    const sizes: number[] = [];
    let from: string | undefined;
    do {
      const page = (await get(bob, { version, limit: 3, ...(from ? { from } : {}) }).expect(200)).body;
      let size = 0;
      for (const [room, { sessions }] of Object.entries(page.rooms as Record<string, { sessions: Record<string, unknown> }>)) {
        Object.assign((merged[room] ??= { sessions: {} }).sessions, sessions);
        size += Object.keys(sessions).length;
      }
      sizes.push(size);
      from = page.next_batch;
    } while (from);

    expect(sizes).toEqual([3, 3, 1]);
    expect(merged).toEqual(whole.rooms);
  });

  it('refuses a bad limit or cursor with 400, and another user’s backup with 404', async () => {
    const carol = await register(t.http);
    const mallory = await register(t.http);
    const version = await backup(carol);
    expect((await get(carol, { version, limit: 0 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await get(carol, { version, limit: 1001 }).expect(400)).body.code).toBe('VALIDATION_FAILED');
    expect((await get(carol, { version, limit: 2, from: 'not a cursor' }).expect(400)).body.code).toBe('INVALID_CURSOR');
    expect((await get(mallory, { version, limit: 2 }).expect(404)).body.code).toBe('BACKUP_NOT_FOUND');
  });
});
