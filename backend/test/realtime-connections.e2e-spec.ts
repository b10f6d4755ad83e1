import WebSocket from 'ws';
import { baseUrl } from './helpers/sockets.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { register } from './helpers/users.js';

/**
 * The Engine.IO/Socket.IO frames of one WebSocket connection, spoken directly: socket.io-client never
 * connects the same namespace twice over one connection, which is what is tried here.
 */
class RawConnection {
  private readonly frames: string[] = [];
  private readonly waiting: (() => void)[] = [];
  readonly ws: WebSocket;
  readonly closed: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`);
    this.closed = new Promise((done) => this.ws.once('close', () => done()));
    this.ws.on('message', (data: Buffer) => {
      const frame = data.toString();
      if (frame === '2') this.ws.send('3');
      else this.frames.push(frame);
      this.waiting.splice(0).forEach((wake) => wake());
    });
  }

  /** The next frame starting with `prefix`, skipping others. */
  async next(prefix: string): Promise<string> {
    for (;;) {
      const at = this.frames.findIndex((frame) => frame.startsWith(prefix));
      if (at >= 0) return this.frames.splice(0, at + 1)[at];
      await new Promise<void>((wake) => this.waiting.push(wake));
    }
  }

  /** How many frames starting with `prefix` arrived and were not taken by `next`. */
  received(prefix: string): number {
    return this.frames.filter((frame) => frame.startsWith(prefix)).length;
  }

  connectNamespace(token: string): void {
    this.ws.send(`40${JSON.stringify({ token })}`);
  }
}

describe('real time: connections (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('ends a connection that asks to connect again once admitted, admitting no second socket', async () => {
    const alice = await register(t.http);
    const connection = new RawConnection(baseUrl(t));
    await connection.next('0');
    connection.connectNamespace(alice.accessToken);
    await connection.next('40');
    expect(JSON.parse((await connection.next('42["ready"')).slice(2))).toEqual(['ready', expect.objectContaining({ userId: alice.id })]);

    connection.connectNamespace(alice.accessToken);

    await connection.closed;
    expect(connection.received('40')).toBe(0);
  });
});
