import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AttachmentsService } from '../src/attachments/attachments.service.js';
import { S3Storage } from '../src/attachments/storage/s3-storage.js';
import { Storage } from '../src/attachments/storage/storage.js';
import { uploadFile } from './helpers/attachments.js';
import { befriend, openConversation } from './helpers/friends.js';
import { png } from './helpers/media.js';
import { createTestApp, testServerUrl, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

/* Where attachment files live: a slow or unanswering storage backend, the deletion queue, and files left by an erasure. */

describe('attachment storage (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  let alice: Registered;
  let bob: Registered;
  let withBob: string;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-storage-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
    [alice, bob] = [await register(t.http), await register(t.http)];
    await befriend(t.http, alice, bob);
    withBob = await openConversation(t.http, alice, bob);
  });
  afterAll(async () => {
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const upload = (who: Registered, content: Buffer, filename: string, contentType?: string) => uploadFile(t.http, who, content, filename, contentType);
  const send = (who: Registered, fields: object) =>
    t.http.post(`/api/conversations/${withBob}/messages`).set(bearer(who.accessToken)).send({ clientId: randomUUID(), ...fields });

  describe('a slow or failing backend', () => {
    it('a slow storage backend neither hangs DELETE /api/messages/:id nor freezes other requests', async () => {
      const storage = t.app.get(Storage);
      const image = (await upload(alice, await png(), 'slow.png', 'image/png').expect(201)).body;
      const message = (await send(alice, { attachmentIds: [image.id] }).expect(201)).body;
      let release!: () => void;
      const stuck = new Promise<void>((resolve) => (release = resolve));
      const originalDelete = storage.delete.bind(storage);
      storage.delete = async (key: string) => {
        await stuck;
        return originalDelete(key);
      };
      try {
        const deleting = t.http.delete(`/api/messages/${message.id}`).set(bearer(alice.accessToken)).timeout(5000);
        const outcome = await deleting.then(
          (res) => res.status,
          (error: Error) => error.message,
        );
        const inbox = await t.http
          .get('/api/conversations')
          .set(bearer(bob.accessToken))
          .timeout(5000)
          .then(
            (res) => res.status,
            (error: Error) => error.message,
          );
        expect({ deleteMessage: outcome, inbox }).toEqual({ deleteMessage: 204, inbox: 200 });
      } finally {
        release();
        storage.delete = originalDelete;
      }
      // Once the backend answers again, the files queued by the delete are removed.
      let queued: unknown[] = [];
      for (let i = 0; i < 100; i++) {
        await t.app.get(AttachmentsService).purgeQueuedFiles();
        queued = await t.db.query(`SELECT storage_key FROM storage_deletions`);
        if (queued.length === 0) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(queued).toEqual([]);
    });

    it('an upload still being stored when its uploader is erased leaves no file behind', async () => {
      const dave = await register(t.http);
      const storage = t.app.get(Storage);
      /** Stored files that neither an attachment row nor the deletion queue knows about. */
      const orphans = async () => {
        const known = new Set(
          (
            (await t.db.query(
              `SELECT storage_key AS key FROM attachments UNION ALL SELECT thumbnail_key FROM attachments UNION ALL SELECT storage_key FROM storage_deletions`,
            )) as { key: string | null }[]
          ).map((row) => row.key),
        );
        const onDisk: string[] = [];
        for (const dir of ['originals', 'thumbnails']) onDisk.push(...(await readdir(join(uploadDir, dir))).map((name) => `${dir}/${name}`));
        return onDisk.filter((key) => !known.has(key)).sort();
      };
      const before = await orphans();
      const originalPut = storage.putFile.bind(storage);
      let reached!: () => void;
      const putReached = new Promise<void>((resolve) => (reached = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      storage.putFile = async (key: string, path: string, contentType: string) => {
        reached();
        await gate;
        return originalPut(key, path, contentType);
      };
      let uploading: Promise<number> | undefined;
      try {
        uploading = upload(dave, await png(), 'mine.png', 'image/png').then((res) => res.status);
        await putReached;
        await t.http.delete('/api/users/me').set(bearer(dave.accessToken)).send({ password: PASSWORD }).expect(200);
      } finally {
        release();
        storage.putFile = originalPut;
      }
      await uploading;
      await t.app.get(AttachmentsService).purgeQueuedFiles();
      expect(await orphans()).toEqual(before);
    });

    it('the S3 driver gives up on an endpoint that accepts connections and never answers', async () => {
      const sockets: Socket[] = [];
      const server = createServer((socket) => sockets.push(socket)).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const storage = new S3Storage({
        endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bucket: 'iris',
        accessKeyId: 'key',
        secretAccessKey: 'secret',
        region: 'us-east-1',
        forcePathStyle: true,
        requestTimeoutMs: 1_000,
      });
      try {
        const outcome = await Promise.race([
          storage.delete(`originals/${randomUUID()}`).then(
            () => 'deleted',
            () => 'gave up',
          ),
          new Promise((resolve) => setTimeout(() => resolve('still waiting after 45 s'), 45_000)),
        ]);
        expect(outcome).toBe('gave up');
      } finally {
        storage.destroy();
        for (const socket of sockets) socket.destroy();
        server.close();
      }
    }, 60_000);
  });

  describe('the deletion queue', () => {
    (testServerUrl() ? it : it.skip)('purging on two instances at once removes every queued file exactly once', async () => {
      const second = await createTestApp({ UPLOAD_DIR: uploadDir }, { sameDatabaseAs: t });
      try {
        const keys = Array.from({ length: 250 }, () => `originals/${randomUUID()}`);
        for (const key of keys) {
          await mkdir(dirname(join(uploadDir, key)), { recursive: true });
          await writeFile(join(uploadDir, key), 'x');
        }
        await t.db.query(`INSERT INTO storage_deletions (storage_key) SELECT unnest($1::varchar[])`, [keys]);
        const removed = await Promise.all([t.app.get(AttachmentsService).purgeQueuedFiles(), second.app.get(AttachmentsService).purgeQueuedFiles()]);
        expect(removed[0] + removed[1]).toBe(250);
        expect(await t.db.query(`SELECT storage_key FROM storage_deletions`)).toEqual([]);
        const left = await readdir(join(uploadDir, 'originals'));
        for (const key of keys) expect(left).not.toContain(key.split('/')[1]);
      } finally {
        await second.app.close();
      }
    });
  });
});
