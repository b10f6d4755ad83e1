import { buffer } from 'node:stream/consumers';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { fromBufferPromise } from 'yauzl';
import { binary } from './helpers/binary.js';
import { befriend, openConversation } from './helpers/friends.js';
import { jpegWithGps, pixelFloodPng, png } from './helpers/media.js';
import { closeSockets, connect } from './helpers/sockets.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

/**
 * Profile pictures (upload, EXIF gone, who may see one, caching, removal, export) and the contact
 * changes pushed to the other person's screens (rename, picture, unfriend, decline, cancel, block),
 * with the read-only reason a conversation then has.
 */
describe('profile pictures and contact events (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-profile-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const setAvatar = (who: Registered, content: Buffer, filename = 'me.jpg') =>
    t.http.put('/api/users/me/avatar').set(bearer(who.accessToken)).attach('file', content, filename);
  const getAvatar = (viewer: Registered, ownerId: string, query = '') =>
    t.http.get(`/api/users/${ownerId}/avatar${query}`).set(bearer(viewer.accessToken)).buffer(true).parse(binary);
  const stored = async () => (await Promise.all(['originals', 'thumbnails'].map(async (dir) => (await readdir(join(uploadDir, dir))).map((f) => `${dir}/${f}`)))).flat();
  const conversation = async (who: Registered, id: string) => (await t.http.get(`/api/conversations/${id}`).set(bearer(who.accessToken)).expect(200)).body;

  describe('pictures', () => {
    it('stores a square WebP without EXIF or GPS, in two sizes, and shows it where the owner appears', async () => {
      const [alice, bob] = [await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      const conversationId = await openConversation(t.http, bob, alice);

      const res = await setAvatar(alice, await jpegWithGps(640, 480)).expect(200);
      const version = res.body.avatarVersion as string;
      expect(version).toMatch(/^[0-9a-f-]{36}$/);

      const large = await getAvatar(bob, alice.id).expect(200);
      expect(large.headers['content-type']).toBe('image/webp');
      const meta = await sharp(large.body as Buffer).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', 256, 256]);
      expect(meta.exif).toBeUndefined();
      expect((large.body as Buffer).includes(Buffer.from('IrisTestCam'))).toBe(false);
      const small = await getAvatar(bob, alice.id, '?size=small').expect(200);
      expect(await sharp(small.body as Buffer).metadata()).toMatchObject({ width: 64, height: 64 });

      // The friend sees the version everywhere alice appears for them.
      const friends = await t.http.get('/api/friends').set(bearer(bob.accessToken)).expect(200);
      expect(friends.body.items[0]).toMatchObject({ id: alice.id, avatarVersion: version });
      expect((await conversation(bob, conversationId)).peer).toMatchObject({ id: alice.id, avatarVersion: version });
      const search = await t.http.get('/api/users').query({ search: alice.username }).set(bearer(bob.accessToken)).expect(200);
      expect(search.body.items[0]).toMatchObject({ id: alice.id, avatarVersion: version });
    });

    it('is cached for good only under its version, answers 304 to its ETag, and a new picture gets a new version', async () => {
      const alice = await register(t.http);
      const first = (await setAvatar(alice, await png(300, 200), 'a.png').expect(200)).body.avatarVersion as string;
      const current = await getAvatar(alice, alice.id, `?v=${first}`).expect(200);
      expect(current.headers['cache-control']).toBe('private, max-age=31536000, immutable');
      const unversioned = await getAvatar(alice, alice.id).expect(200);
      expect(unversioned.headers['cache-control']).toBe('private, no-cache');
      await getAvatar(alice, alice.id).set('If-None-Match', current.headers.etag).expect(304);

      const second = (await setAvatar(alice, await png(50, 90), 'b.png').expect(200)).body.avatarVersion as string;
      expect(second).not.toBe(first);
      // An old URL gets the current picture, not cached for good, and the old files are gone.
      const stale = await getAvatar(alice, alice.id, `?v=${first}`).expect(200);
      expect(stale.headers['cache-control']).toBe('private, no-cache');
      expect(stale.headers.etag).toBe(`"${second}-large"`);
      const files = await stored();
      expect(files).not.toContain(`originals/${first}`);
      expect(files).not.toContain(`thumbnails/${first}`);
      expect(files).toEqual(expect.arrayContaining([`originals/${second}`, `thumbnails/${second}`]));
    });

    it('is seen by the owner, friends, conversation and request partners and admins; not by strangers, nor across a block', async () => {
      const [owner, friend, stranger, asking, admin] = await Promise.all([1, 2, 3, 4, 5].map(() => register(t.http)));
      await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
      await befriend(t.http, owner, friend);
      await t.http.post('/api/friends/requests').set(bearer(asking.accessToken)).send({ userId: owner.id }).expect(201);
      const version = (await setAvatar(owner, await png()).expect(200)).body.avatarVersion as string;

      for (const viewer of [owner, friend, asking, admin]) await getAvatar(viewer, owner.id).expect(200);
      const refused = await getAvatar(stranger, owner.id).expect(404);
      expect(JSON.parse((refused.body as Buffer).toString()).code).toBe('AVATAR_NOT_FOUND');
      const search = await t.http.get('/api/users').query({ search: owner.username }).set(bearer(stranger.accessToken)).expect(200);
      expect(search.body.items[0]).toMatchObject({ id: owner.id, avatarVersion: null });
      const profile = await t.http.get(`/api/users/${owner.id}`).set(bearer(stranger.accessToken)).expect(200);
      expect(profile.body.avatarVersion).toBeNull();
      expect((await t.http.get(`/api/users/${owner.id}`).set(bearer(friend.accessToken)).expect(200)).body.avatarVersion).toBe(version);

      // A block either way hides it, both ways.
      const conversationId = await openConversation(t.http, owner, friend);
      await t.http.put(`/api/blocks/${owner.id}`).set(bearer(friend.accessToken)).expect(204);
      await getAvatar(friend, owner.id).expect(404);
      await getAvatar(owner, friend.id).expect(404);
      expect((await conversation(friend, conversationId)).peer.avatarVersion).toBeNull();
      // Unblocked, the conversation they share lets them see it again.
      await t.http.delete(`/api/blocks/${owner.id}`).set(bearer(friend.accessToken)).expect(204);
      await getAvatar(friend, owner.id).expect(200);
      await t.http.get(`/api/users/${owner.id}/avatar`).expect(401);
    });

    it('refuses what is not an image, an image too large to decode, and a request without a file: 4xx, nothing changed', async () => {
      const alice = await register(t.http);
      const version = (await setAvatar(alice, await png()).expect(200)).body.avatarVersion as string;
      const before = await stored();

      const text = await setAvatar(alice, Buffer.from('just some text, not a picture'), 'notes.txt').expect(415);
      expect(text.body.code).toBe('NOT_AN_IMAGE');
      const fake = await setAvatar(alice, Buffer.from('<html>no</html>'), 'photo.jpg').expect(415);
      expect(fake.body.code).toBe('NOT_AN_IMAGE');
      expect((await setAvatar(alice, pixelFloodPng(), 'flood.png').expect(413)).body.code).toBe('IMAGE_TOO_LARGE');
      const none = await t.http.put('/api/users/me/avatar').set(bearer(alice.accessToken)).attach('picture', await png(), 'p.png').expect(400);
      expect(none.body.code).toBe('FILE_REQUIRED');
      const json = await t.http.put('/api/users/me/avatar').set(bearer(alice.accessToken)).send({ file: 'x' }).expect(415);
      expect(json.body.code).toBe('MULTIPART_REQUIRED');
      await getAvatar(alice, alice.id, '?size=huge').expect(400);
      await getAvatar(alice, 'not-a-uuid').expect(400);

      expect((await t.http.get('/api/users/me').set(bearer(alice.accessToken)).expect(200)).body.avatarVersion).toBe(version);
      expect((await stored()).sort()).toEqual(before.sort());
      expect(await t.db.query(`SELECT * FROM storage_deletions`)).toEqual([]);
    });

    it('removes the picture and its files; removing none is fine', async () => {
      const [alice, bob] = [await register(t.http), await register(t.http)];
      await befriend(t.http, alice, bob);
      const version = (await setAvatar(alice, await png()).expect(200)).body.avatarVersion as string;
      const res = await t.http.delete('/api/users/me/avatar').set(bearer(alice.accessToken)).expect(200);
      expect(res.body.avatarVersion).toBeNull();
      await getAvatar(bob, alice.id).expect(404);
      expect(await stored()).not.toContain(`originals/${version}`);
      await t.http.delete('/api/users/me/avatar').set(bearer(alice.accessToken)).expect(200);
    });

    it('is in the export as profile-picture.webp', async () => {
      const alice = await register(t.http);
      const version = (await setAvatar(alice, await jpegWithGps()).expect(200)).body.avatarVersion as string;
      const res = await t.http.get('/api/users/me/export').set(bearer(alice.accessToken)).buffer(true).parse(binary).expect(200);
      const zip = await fromBufferPromise(res.body as Buffer, { lazyEntries: true });
      const files = new Map<string, Buffer>();
      for await (const entry of zip.eachEntry()) files.set(entry.fileName, await buffer(await zip.openReadStreamPromise(entry)));
      expect(JSON.parse(files.get('profile.json')!.toString()).user.avatarVersion).toBe(version);
      expect(await sharp(files.get('profile-picture.webp')!).metadata()).toMatchObject({ format: 'webp', width: 256, height: 256 });
    });
  });

  describe('events', () => {
    /** `a` and `b` friends with a conversation, a stranger, and everyone's socket. */
    async function world() {
      const [a, b, stranger] = [await register(t.http), await register(t.http), await register(t.http)];
      await befriend(t.http, a, b);
      const conversationId = await openConversation(t.http, a, b);
      const sockets = { a: await connect(t, a.accessToken), b: await connect(t, b.accessToken), stranger: await connect(t, stranger.accessToken) };
      return { a, b, stranger, conversationId, sockets };
    }
    it('a rename and a new picture reach friends and the owner, not strangers', async () => {
      const { a, stranger, sockets } = await world();
      await t.http.patch('/api/users/me').set(bearer(a.accessToken)).send({ displayName: 'Ada Renamed' }).expect(200);
      expect(await sockets.b.waitFor('user.updated')).toMatchObject({ id: a.id, displayName: 'Ada Renamed', avatarVersion: null });
      await sockets.a.waitFor('user.updated', (u: { id: string }) => u.id === a.id);

      const version = (await setAvatar(a, await png()).expect(200)).body.avatarVersion as string;
      await sockets.b.waitFor('user.updated', (u: { avatarVersion: string | null }) => u.avatarVersion === version);
      // Events to one user arrive in order: what reached the stranger before a's friend request holds no profile change.
      await t.http.post('/api/friends/requests').set(bearer(a.accessToken)).send({ userId: stranger.id }).expect(201);
      expect((await sockets.stranger.receivedBefore('friend.request')).filter((r) => r.event === 'user.updated')).toEqual([]);
    });

    it('unfriend reaches both; the conversation turns read-only (not-friends) for both', async () => {
      const { a, b, conversationId, sockets } = await world();
      await t.http.delete(`/api/friends/${b.id}`).set(bearer(a.accessToken)).expect(204);
      expect(await sockets.b.waitFor('friend.removed')).toEqual({ userId: a.id });
      expect(await sockets.a.waitFor('friend.removed')).toEqual({ userId: b.id });
      expect((await conversation(a, conversationId)).readOnly).toBe('not-friends');
      expect((await conversation(b, conversationId)).readOnly).toBe('not-friends');
      expect(sockets.stranger.of('friend.removed')).toEqual([]);
    });

    it('decline reaches the sender and cancel the recipient', async () => {
      const [a, b, c] = [await register(t.http), await register(t.http), await register(t.http)];
      const [sa, sb, sc] = [await connect(t, a.accessToken), await connect(t, b.accessToken), await connect(t, c.accessToken)];
      const declined = (await t.http.post('/api/friends/requests').set(bearer(a.accessToken)).send({ userId: b.id }).expect(201)).body.request.id;
      await t.http.post(`/api/friends/requests/${declined}/decline`).set(bearer(b.accessToken)).expect(204);
      expect(await sa.waitFor('friend.request.removed')).toEqual({ id: declined, userId: b.id });
      expect(await sb.waitFor('friend.request.removed')).toEqual({ id: declined, userId: a.id });

      const cancelled = (await t.http.post('/api/friends/requests').set(bearer(a.accessToken)).send({ userId: c.id }).expect(201)).body.request.id;
      await t.http.delete(`/api/friends/requests/${cancelled}`).set(bearer(a.accessToken)).expect(204);
      expect(await sc.waitFor('friend.request.removed')).toEqual({ id: cancelled, userId: a.id });
      // Someone else's request cannot be declined or cancelled: 404, and nobody is told anything.
      const other = (await t.http.post('/api/friends/requests').set(bearer(b.accessToken)).send({ userId: c.id }).expect(201)).body.request.id;
      await t.http.post(`/api/friends/requests/${other}/decline`).set(bearer(a.accessToken)).expect(404);
      await t.http.delete(`/api/friends/requests/${other}`).set(bearer(c.accessToken)).expect(404);
      await t.http.delete(`/api/friends/requests/${other}`).set(bearer(b.accessToken)).expect(204);
      await sc.waitFor('friend.request.removed', (e: { id: string }) => e.id === other);
      // a was in the two requests that went, and is told of those only.
      expect(sa.of('friend.request.removed')).toEqual([{ id: declined, userId: b.id }, { id: cancelled, userId: c.id }]);
    });

    it('a block tells the blocked person only what an unfriend does; the blocker’s devices hear the block, and the reasons differ', async () => {
      const { a, b, conversationId, sockets } = await world();
      const aSecond = await connect(t, a.accessToken);
      await t.http.put(`/api/blocks/${b.id}`).set(bearer(a.accessToken)).expect(204);
      expect(await aSecond.waitFor('block.changed')).toEqual({ userId: b.id, blocked: true });
      expect(await sockets.b.waitFor('friend.removed')).toEqual({ userId: a.id });
      expect((await conversation(a, conversationId)).readOnly).toBe('blocked');
      expect((await conversation(b, conversationId)).readOnly).toBe('not-friends');

      // A rename of the blocker no longer reaches the blocked person.
      await t.http.patch('/api/users/me').set(bearer(a.accessToken)).send({ displayName: 'Hidden' }).expect(200);
      await aSecond.waitFor('user.updated', (u: { displayName: string }) => u.displayName === 'Hidden');
      await t.http.delete(`/api/blocks/${b.id}`).set(bearer(a.accessToken)).expect(204);
      expect(await aSecond.waitFor('block.changed', (e: { blocked: boolean }) => !e.blocked)).toEqual({ userId: b.id, blocked: false });
      expect((await conversation(a, conversationId)).readOnly).toBe('not-friends');
      // Unblocked, their conversation lets b see a again: the next rename reaches b, and nothing of the block did before it.
      await t.http.patch('/api/users/me').set(bearer(a.accessToken)).send({ displayName: 'Visible' }).expect(200);
      const before = await sockets.b.receivedBefore('user.updated', (u: { displayName: string }) => u.displayName === 'Visible');
      expect(before.filter((r) => r.event === 'block.changed' || r.event === 'user.updated')).toEqual([]);
    });
  });
});
