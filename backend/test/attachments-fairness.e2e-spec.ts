import { uploadFile } from './helpers/attachments.js';
import { animatedGif, png } from './helpers/media.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { register } from './helpers/users.js';

/*
 * Image processing shared fairly: one account sending many heavy images at once is told to slow down,
 * and another account's small image is processed next rather than refused.
 */
describe('image processing under one account’s load (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('refuses a 999-frame GIF within the byte cap with 413 IMAGE_TOO_LARGE before decoding it', async () => {
    const alice = await register(t.http);
    const gif = animatedGif(180, 180, 999);

    const res = await uploadFile(t.http, alice, gif, 'long.gif', 'image/gif');

    expect(res.status).toBe(413);
    expect(res.body.code).toBe('IMAGE_TOO_LARGE');
  });

  it('queues a few of one account’s images, refuses the rest with 429, and processes another account’s image next instead of refusing it', async () => {
    const [alice, bob] = [await register(t.http), await register(t.http)];
    const heavy = animatedGif(180, 180, 120);
    const finished: string[] = [];
    let refusedAll!: () => void;
    const allRefused = new Promise<void>((resolve) => (refusedAll = resolve));

    const alices = Array.from({ length: 9 }, (_, i) =>
      uploadFile(t.http, alice, heavy, `heavy-${i}.gif`, 'image/gif').then((res) => {
        finished.push(`alice ${res.status}`);
        if (finished.filter((entry) => entry === 'alice 429').length === 5) refusedAll();
        return res;
      }),
    );
    // Bob's upload goes once alice's five refusals are back: a refusal comes when her four others hold
    // the image slot, so they are all in the queue by then (not after some time that a slow machine
    // may need more of).
    // (Or once all of hers are answered, if fewer were refused: the statuses below then say what went wrong.)
    await Promise.race([allRefused, Promise.all(alices)]);
    const bobs = await uploadFile(t.http, bob, await png(), 'small.png', 'image/png');
    finished.push(`bob ${bobs.status}`);
    const answers = await Promise.all(alices);

    expect(bobs.status).toBe(201);
    const statuses = answers.map((res) => res.status).sort();
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429, 429, 429, 429]);
    for (const refused of answers.filter((res) => res.status === 429)) {
      expect(refused.body.code).toBe('IMAGE_QUEUE_FULL');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
    // Bob's turn came before alice's queued images were all done.
    expect(finished.indexOf('bob 201')).toBeLessThan(finished.lastIndexOf('alice 201'));
  });
});
