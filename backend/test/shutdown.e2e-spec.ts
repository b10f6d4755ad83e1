import { Agent, request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createScratchDatabase, type ScratchDatabase } from '../src/database/scratch-database.js';
import { shutDown } from '../src/shutdown.js';
import { befriend, openConversation } from './helpers/friends.js';
import { closeSockets, connect } from './helpers/sockets.js';
import { createTestApp, type TestApp, testServerUrl } from './helpers/test-app.js';
import { register } from './helpers/users.js';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One request on a keep-alive agent; rejects with the socket error (ECONNRESET, ECONNREFUSED, …). */
function send(agent: Agent, port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ agent, host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const TIMEOUT_MS = 3_000;

// The acknowledged messages are counted in the database after the app is gone: PostgreSQL only.
const onPostgres = testServerUrl() ? describe : describe.skip;

onPostgres('bounded shutdown under keep-alive load (e2e, PostgreSQL only)', () => {
  let scratch: ScratchDatabase;
  let t: TestApp;

  beforeAll(async () => {
    scratch = await createScratchDatabase(testServerUrl()!);
    t = await createTestApp({ DATABASE_URL: scratch.url, SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS) });
  });
  afterAll(async () => {
    closeSockets();
    await scratch?.drop();
  });

  it('still stops within SHUTDOWN_TIMEOUT_MS when a client never finishes its request, cutting only that one', async () => {
    const other = await createTestApp({ DATABASE_URL: scratch.url });
    const port = (other.app.getHttpServer().address() as { port: number }).port;
    const user = await register(other.http);
    const stalled = httpRequest({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/api/attachments',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'multipart/form-data; boundary=x', 'content-length': '100000' },
    });
    const cut = new Promise<string>((resolve) => {
      stalled.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      stalled.on('response', (res) => resolve(`answered ${res.statusCode}`));
    });
    stalled.write('--x\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\nonly the start');
    await new Promise((resolve) => setTimeout(resolve, 200));

    const started = Date.now();
    const outcome = await shutDown(other.app, TIMEOUT_MS);
    const elapsed = Date.now() - started;

    expect(outcome).toEqual({ timedOut: true });
    expect(elapsed).toBeLessThanOrEqual(TIMEOUT_MS + 1_000);
    expect(await cut).toMatch(/ECONNRESET|socket hang up/);
  }, 30_000);

  it('stops within SHUTDOWN_TIMEOUT_MS while clients loop on kept-alive connections, resets no request in flight and loses no acknowledged message', async () => {
    const port = (t.app.getHttpServer().address() as { port: number }).port;
    const [alice, bob] = [await register(t.http), await register(t.http)];
    await befriend(t.http, alice, bob);
    const conversationId = await openConversation(t.http, alice, bob);
    const bobSocket = await connect(t, bob.accessToken);

    const failures: string[] = [];
    const closingAnswers: Answer[] = [];
    const acknowledged: string[] = [];
    let stopping = false;

    /** Loops until the server refuses the connection, which is the only way a loop should end. */
    async function loop(work: (agent: Agent) => Promise<Answer>, ok: (answer: Answer) => void): Promise<number> {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      let answers = 0;
      try {
        for (;;) {
          let answer: Answer;
          try {
            answer = await work(agent);
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
            if (code !== 'ECONNREFUSED') failures.push(code);
            return answers;
          }
          answers += 1;
          if (stopping && answer.connection === 'close') closingAnswers.push(answer);
          ok(answer);
        }
      } finally {
        agent.destroy();
      }
    }

    const health = () =>
      loop(
        (agent) => send(agent, port, 'GET', '/api/health'),
        (answer) => {
          if (answer.status !== 200 && answer.status !== 503) failures.push(`health ${answer.status}`);
        },
      );
    const sender = () =>
      loop(
        (agent) =>
          send(
            agent,
            port,
            'POST',
            `/api/conversations/${conversationId}/messages`,
            { authorization: `Bearer ${alice.accessToken}`, 'content-type': 'application/json' },
            JSON.stringify({ clientId: randomUUID(), body: 'during shutdown' }),
          ),
        (answer) => {
          if (answer.status === 201) acknowledged.push((JSON.parse(answer.body) as { id: string }).id);
          else if (answer.status !== 503) failures.push(`send ${answer.status}`);
        },
      );
    // An idle keep-alive connection must not hold the shutdown either.
    const idle = new Agent({ keepAlive: true });
    await send(idle, port, 'GET', '/api/health');

    const loops = [health(), health(), health(), health(), sender()];
    await new Promise((resolve) => setTimeout(resolve, 300));

    stopping = true;
    const started = Date.now();
    const outcome = await shutDown(t.app, TIMEOUT_MS);
    const elapsed = Date.now() - started;
    const answers = await Promise.all(loops);
    idle.destroy();

    expect(elapsed).toBeLessThanOrEqual(TIMEOUT_MS + 1_000);
    expect(outcome).toEqual({ timedOut: false });
    expect(failures).toEqual([]);
    expect(answers.every((count) => count > 0)).toBe(true);
    // Kept-alive clients were told to close instead of being cut.
    expect(closingAnswers.length).toBeGreaterThanOrEqual(5);
    expect(await bobSocket.disconnected()).toBeDefined();

    const client = new pg.Client({ connectionString: scratch.url });
    await client.connect();
    try {
      const stored = await client.query<{ id: string }>('SELECT id FROM messages WHERE id = ANY($1)', [acknowledged]);
      expect(acknowledged.length).toBeGreaterThan(0);
      expect(stored.rowCount).toBe(acknowledged.length);
    } finally {
      await client.end();
    }
  }, 30_000);
});
