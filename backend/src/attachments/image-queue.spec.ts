import { IMAGES_PER_USER, ImageQueue } from './image-queue.js';
import { MediaError } from './media-error.js';

/** A job that runs until `finish()` is called, recording when it started. */
function job(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { work: () => (log.push(name), done), finish };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe(ImageQueue.name, () => {
  describe('run', () => {
    it('runs one job at a time and takes turns between accounts', async () => {
      const sut = new ImageQueue();
      const log: string[] = [];
      const jobs = ['a1', 'a2', 'a3', 'b1', 'c1'].map((name) => ({ name, ...job(log, name) }));
      const runs = jobs.map(({ name, work }) => sut.run(name[0], work));

      for (const { finish } of [jobs[0], jobs[3], jobs[4], jobs[1], jobs[2]]) {
        await flush();
        finish();
      }
      await Promise.all(runs);

      expect(log).toEqual(['a1', 'b1', 'c1', 'a2', 'a3']);
    });

    it('refuses an account over IMAGES_PER_USER with QUEUE_FULL while others still get in', async () => {
      const sut = new ImageQueue();
      const log: string[] = [];
      const held = Array.from({ length: IMAGES_PER_USER }, (_, i) => job(log, `a${i}`));
      const runs = held.map(({ work }) => sut.run('a', work));

      await expect(sut.run('a', async () => undefined)).rejects.toEqual(expect.objectContaining({ reason: 'QUEUE_FULL' }));
      const other = sut.run('b', async () => 'b done');
      for (const { finish } of held) {
        await flush();
        finish();
      }

      expect(await other).toBe('b done');
      await Promise.all(runs);
      expect(log[0]).toBe('a0');
      await expect(sut.run('a', async () => 'again')).resolves.toBe('again');
    });

    it('frees the slot when a job fails', async () => {
      const sut = new ImageQueue();

      await expect(sut.run('a', () => Promise.reject(new MediaError('INVALID_IMAGE', 'bad')))).rejects.toBeInstanceOf(MediaError);

      await expect(sut.run('a', async () => 'next')).resolves.toBe('next');
    });
  });
});
