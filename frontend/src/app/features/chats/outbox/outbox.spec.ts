import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { createEnvironmentInjector, EnvironmentInjector, signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { IDBFactory as FakeIDBFactory } from 'fake-indexeddb';
import { AuthStore } from '../../../core/auth-store';
import { Realtime } from '../../../core/realtime';
import { FakeRealtime } from '../../../core/realtime.fixtures';
import { nextRequest } from '../conversation-store.fixtures';
import { message } from '../message.fixtures';
import { Outbox, OUTBOX_INDEXED_DB } from './outbox';
import type { OutboxEntry } from './outbox-db';

const entry = (clientId: string, body: string): Omit<OutboxEntry, 'queuedAt'> => ({
  clientId,
  conversationId: 'c1',
  senderId: 'u1',
  createdAt: '2026-01-01T10:00:00.000Z',
  body,
  ciphertext: null,
  attachmentIds: [],
  expiresInSeconds: null,
  expiryMode: null,
  kind: 'message',
  relatesTo: null,
  refusal: null,
});

/** The outbox of user u1 over a fake socket, with HTTP under test control. */
function setUpOutbox(realtime: FakeRealtime): { sut: Outbox; http: HttpTestingController } {
  TestBed.configureTestingModule({
    providers: [
      provideHttpClient(),
      provideHttpClientTesting(),
      // In memory: an IndexedDB another spec installed globally would carry entries over (outbox-db.spec.ts tests the storage).
      { provide: OUTBOX_INDEXED_DB, useValue: null },
      { provide: Realtime, useValue: realtime },
      { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
    ],
  });
  return { sut: TestBed.inject(Outbox), http: TestBed.inject(HttpTestingController) };
}

describe('Outbox', () => {
  let sut: Outbox;
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  const url = '/api/conversations/c1/messages';
  const nextPost = () => nextRequest(http, (requested) => requested === url);

  beforeEach(() => {
    realtime = new FakeRealtime();
    ({ sut, http } = setUpOutbox(realtime));
  });

  afterEach(() => {
    http.verify();
    vi.useRealTimers();
  });

  it('sends one at a time, in the order written, and lets each go once the server has it', async () => {
    const delivered: string[] = [];
    sut.delivered$.subscribe(({ message: sent }) => delivered.push(sent.body ?? ''));
    await sut.add(entry('k1', 'one'));
    await sut.add(entry('k2', 'two'));
    const first = await nextPost();
    expect(first.request.body).toEqual({ clientId: 'k1', body: 'one', expiresInSeconds: null });
    http.expectNone(url);
    first.flush(message({ id: 'm1', clientId: 'k1', senderId: 'u1', body: 'one' }));
    const second = await nextPost();
    expect(second.request.body.clientId).toBe('k2');
    second.flush(message({ id: 'm2', clientId: 'k2', senderId: 'u1', body: 'two' }));
    await vi.waitFor(() => expect(sut.entries()).toEqual([]));
    expect(delivered).toEqual(['one', 'two']);
  });

  it("names this tab's socket, which the server then does not echo to, and hands the answer to message.created subscribers in its place", async () => {
    const created: string[] = [];
    realtime.on('message.created').subscribe((sent) => created.push((sent as { id: string }).id));
    realtime.connectedSocketId = 'socket-1';
    await sut.add(entry('k1', 'one'));
    const first = await nextPost();
    expect(first.request.headers.get('X-Socket-Id')).toBe('socket-1');
    first.flush(message({ id: 'm1', clientId: 'k1', senderId: 'u1', body: 'one' }));
    await vi.waitFor(() => expect(created).toEqual(['m1']));

    // Without a socket in its rooms nothing is named: the server's echo (to the other tabs) is all there is.
    realtime.connectedSocketId = undefined;
    await sut.add(entry('k2', 'two'));
    const second = await nextPost();
    expect(second.request.headers.has('X-Socket-Id')).toBe(false);
    second.flush(message({ id: 'm2', clientId: 'k2', senderId: 'u1', body: 'two' }));
    await vi.waitFor(() => expect(sut.entries()).toEqual([]));
    expect(created).toEqual(['m1']);
  });

  it('pauses the whole queue on a rate limit, says until when, and goes on by itself after Retry-After', async () => {
    vi.useFakeTimers();
    await sut.add(entry('k1', 'one'));
    await sut.add(entry('k2', 'two'));
    (await nextPost()).flush({ code: 'RATE_LIMITED' }, { status: 429, statusText: 'Too Many Requests', headers: { 'retry-after': '30' } });
    await vi.advanceTimersByTimeAsync(0);
    expect(sut.waiting()).toBe('Too many attempts. Try again in 30 s.');
    expect(sut.entries().map((item) => item.refusal)).toEqual([null, null]);
    realtime.ready$.next({});
    await vi.advanceTimersByTimeAsync(29_000);
    http.expectNone(url);

    await vi.advanceTimersByTimeAsync(1_000);
    const again = await nextPost();
    expect(again.request.body.clientId).toBe('k1');
    expect(sut.waiting()).toBeNull();
    again.flush(message({ id: 'm1', clientId: 'k1', senderId: 'u1', body: 'one' }));
    const next = await nextPost();
    expect(next.request.body.clientId).toBe('k2');
    next.flush(message({ id: 'm2', clientId: 'k2', senderId: 'u1', body: 'two' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(sut.entries()).toEqual([]);
  });
});

describe('Outbox over the open socket', () => {
  let sut: Outbox;
  let http: HttpTestingController;
  let realtime: FakeRealtime;
  let delivered: string[];
  let created: string[];
  const url = '/api/conversations/c1/messages';
  const nextPost = () => nextRequest(http, (requested) => requested === url);
  const sent = (clientId: string, body: string, id = `m-${clientId}`) => message({ id, clientId, senderId: 'u1', body });

  beforeEach(() => {
    realtime = new FakeRealtime();
    realtime.connectedSocketId = 'socket-1';
    realtime.maxPayloadBytes = 16_384;
    ({ sut, http } = setUpOutbox(realtime));
    delivered = [];
    created = [];
    sut.delivered$.subscribe(({ message: copy }) => delivered.push(copy.id));
    realtime.on('message.created').subscribe((copy) => created.push((copy as { id: string }).id));
  });

  afterEach(() => {
    http.verify();
    vi.useRealTimers();
  });

  it('sends over the socket when it is ready and the message is small, with no request, and handles the ack as the REST answer', async () => {
    await sut.add({ ...entry('k1', 'one'), expiresInSeconds: 30, expiryMode: 'afterRead' });
    const send = await realtime.nextSend();
    expect(send.payload).toEqual({ conversationId: 'c1', clientId: 'k1', body: 'one', expiresInSeconds: 30, expiryMode: 'afterRead' });
    http.expectNone(url);
    send.answer({ ok: true, created: true, sent: sent('k1', 'one') });
    await vi.waitFor(() => expect(sut.entries()).toEqual([]));
    expect(delivered).toEqual(['m-k1']);
    // The socket that sent it gets no message.created: the outbox hands the ack's message on in its place.
    expect(created).toEqual(['m-k1']);
  });

  it('sends over REST, as before, while the socket is not in its rooms', async () => {
    realtime.connectedSocketId = undefined;
    await sut.add(entry('k1', 'one'));
    const post = await nextPost();
    expect(post.request.headers.has('X-Socket-Id')).toBe(false);
    post.flush(sent('k1', 'one'));
    await vi.waitFor(() => expect(sut.entries()).toEqual([]));
    expect(realtime.sends).toEqual([]);
    expect(delivered).toEqual(['m-k1']);
  });

  it('sends a message too big for the socket over REST, naming the socket, which would drop the connection on it', async () => {
    realtime.maxPayloadBytes = 2_048;
    const ciphertext = { algorithm: 'm.megolm.v1.aes-sha2' as const, ciphertext: 'x'.repeat(2_000), session_id: 'session' };
    await sut.add({ ...entry('k1', 'ignored'), body: null, ciphertext });
    const post = await nextPost();
    expect(post.request.body.ciphertext).toEqual(ciphertext);
    expect(post.request.headers.get('X-Socket-Id')).toBe('socket-1');
    post.flush(sent('k1', ''));
    await vi.waitFor(() => expect(sut.entries()).toEqual([]));
    expect(realtime.sends).toEqual([]);
    expect(created).toEqual(['m-k1']);

    // The next one, small again, takes the socket.
    await sut.add(entry('k2', 'two'));
    (await realtime.nextSend()).answer({ ok: true, created: true, sent: sent('k2', 'two') });
    await vi.waitFor(() => expect(delivered).toEqual(['m-k1', 'm-k2']));
  });

  it('keeps a refused message with the reason a refusal over HTTP would get, and sends the next', async () => {
    await sut.add(entry('k1', 'one'));
    await sut.add(entry('k2', 'two'));
    (await realtime.nextSend()).answer({ ok: false, code: 'BLOCKED', message: 'This conversation is read-only because of a block' });
    const next = await realtime.nextSend();
    expect(next.payload.clientId).toBe('k2');
    expect(sut.entries()[0].refusal).toEqual({ code: 'BLOCKED', reason: 'This conversation is read-only because one of you blocked the other.' });
    next.answer({ ok: false, code: 'NOT_FRIENDS', message: 'You can only message friends' });
    await vi.waitFor(() => expect(sut.entries().map((item) => item.refusal?.code)).toEqual(['BLOCKED', 'NOT_FRIENDS']));
    expect(delivered).toEqual([]);
    http.expectNone(url);
  });

  it('counts a CLIENT_ID_CONFLICT ack as delivered: the entry goes, nothing is sent again', async () => {
    await sut.add(entry('k1', 'one'));
    (await realtime.nextSend()).answer({ ok: false, code: 'CLIENT_ID_CONFLICT', message: 'This clientId was already used for another message' });
    await vi.waitFor(() => expect(sut.entries()).toEqual([]));
    expect(realtime.sends).toHaveLength(1);
    http.expectNone(url);
  });

  it('pauses the queue for a RATE_LIMITED ack as long as it says, and goes on by itself', async () => {
    vi.useFakeTimers();
    await sut.add(entry('k1', 'one'));
    (await realtime.nextSend()).answer({ ok: false, code: 'RATE_LIMITED', message: 'Too many requests', retryAfterSeconds: 20 });
    await vi.advanceTimersByTimeAsync(0);
    expect(sut.waiting()).toBe('Too many attempts. Try again in 20 s.');
    // Not even a reconnect sends before then.
    realtime.ready$.next({});
    await vi.advanceTimersByTimeAsync(19_999);
    expect(realtime.sends).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    const again = await realtime.nextSend();
    expect(again.payload.clientId).toBe('k1');
    again.answer({ ok: true, created: true, sent: sent('k1', 'one') });
    await vi.advanceTimersByTimeAsync(0);
    expect(sut.entries()).toEqual([]);
    expect(sut.waiting()).toBeNull();
  });

  it("waits the seconds the socket's own event budget says (shared with typing), then sends over the socket again", async () => {
    vi.useFakeTimers();
    await sut.add(entry('k1', 'one'));
    (await realtime.nextSend()).answer({ ok: false, code: 'RATE_LIMITED', message: 'Too many events; wait 1 s', retryAfterSeconds: 1 });
    await vi.advanceTimersByTimeAsync(999);
    expect(sut.waiting()).not.toBeNull();
    expect(realtime.sends).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    (await realtime.nextSend()).answer({ ok: true, created: true, sent: sent('k1', 'one') });
    await vi.advanceTimersByTimeAsync(0);
    expect(sut.entries()).toEqual([]);
    expect(sut.waiting()).toBeNull();
    expect(delivered).toEqual(['m-k1']);
  });

  for (const code of ['INTERNAL_ERROR', 'DATABASE_UNAVAILABLE', 'SERVICE_UNAVAILABLE', 'TRY_AGAIN', 'TOKEN_EXPIRED', 'SESSION_REVOKED']) {
    it(`sends again after the backoff on a ${code} ack, keeping the message pending`, async () => {
      vi.useFakeTimers();
      await sut.add(entry('k1', 'one'));
      (await realtime.nextSend()).answer({ ok: false, code, message: 'try again' });
      await vi.advanceTimersByTimeAsync(1_999);
      expect(sut.entries().map((item) => item.refusal)).toEqual([null]);
      expect(realtime.sends).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      (await realtime.nextSend()).answer({ ok: true, created: true, sent: sent('k1', 'one') });
      await vi.advanceTimersByTimeAsync(0);
      expect(sut.entries()).toEqual([]);
      expect(delivered).toEqual(['m-k1']);
    });
  }

  it('after a timeout or a dropped socket sends again, in order, and a resend answered created:false delivers once', async () => {
    vi.useFakeTimers();
    await sut.add(entry('k1', 'one'));
    await sut.add(entry('k2', 'two'));
    // k2 came in while k1 was on its way, which makes the outbox look again at once after the failure.
    (await realtime.nextSend()).drop();
    (await realtime.nextSend()).drop();
    // The second attempt reached the server, but its answer was lost: now the backoff (5 s after a second
    // failure in a row), with k2 still behind k1.
    await vi.advanceTimersByTimeAsync(4_999);
    expect(realtime.sends.map((send) => send.payload.clientId)).toEqual(['k1', 'k1']);
    await vi.advanceTimersByTimeAsync(1);
    const resend = await realtime.nextSend();
    expect(resend.payload).toEqual(realtime.sends[0].payload);
    resend.answer({ ok: true, created: false, sent: sent('k1', 'one') });
    (await realtime.nextSend()).answer({ ok: true, created: true, sent: sent('k2', 'two') });
    await vi.advanceTimersByTimeAsync(0);
    expect(realtime.sends.map((send) => send.payload.clientId)).toEqual(['k1', 'k1', 'k1', 'k2']);
    expect(delivered).toEqual(['m-k1', 'm-k2']);
    expect(created).toEqual(['m-k1', 'm-k2']);
    expect(sut.entries()).toEqual([]);
  });

  it('goes over REST for the retry when the socket is still away, and back to the socket once it is ready', async () => {
    vi.useFakeTimers();
    await sut.add(entry('k1', 'one'));
    (await realtime.nextSend()).drop();
    realtime.connectedSocketId = undefined;
    await vi.advanceTimersByTimeAsync(2_000);
    const post = await nextPost();
    expect(post.request.body.clientId).toBe('k1');
    expect(post.request.headers.has('X-Socket-Id')).toBe(false);
    post.error(new ProgressEvent('error'));
    await vi.advanceTimersByTimeAsync(0);
    // The socket is back: its ready sends at once, before the next backoff (5 s) runs out.
    realtime.connectedSocketId = 'socket-2';
    realtime.ready$.next({});
    const resend = await realtime.nextSend();
    expect(resend.payload.clientId).toBe('k1');
    resend.answer({ ok: true, created: true, sent: sent('k1', 'one') });
    await vi.advanceTimersByTimeAsync(0);
    expect(delivered).toEqual(['m-k1']);
    expect(sut.entries()).toEqual([]);
  });
});

describe('Outbox answered CLIENT_ID_CONFLICT', () => {
  it('counts the resend as delivered: the entry goes, with no refusal and nothing sent again', async () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: OUTBOX_INDEXED_DB, useValue: null },
        { provide: Realtime, useValue: new FakeRealtime() },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      ],
    });
    const sut = TestBed.inject(Outbox);
    const http = TestBed.inject(HttpTestingController);
    await sut.add(entry('k1', 'one'));
    (await nextRequest(http, (url) => url === '/api/conversations/c1/messages')).flush(
      { code: 'CLIENT_ID_CONFLICT', message: 'This clientId was already used for another message' },
      { status: 409, statusText: 'Conflict' },
    );
    await vi.waitFor(() => expect(sut.entries()).toEqual([]));
    http.verify();
  });
});

/** navigator.locks as Chromium has it, enough for one exclusive lock per name: each request waits for the one before. */
class FakeLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  request(name: string, work: () => Promise<unknown>): Promise<unknown> {
    const run = (this.tails.get(name) ?? Promise.resolve()).then(() => work());
    this.tails.set(name, run.catch(() => undefined));
    return run;
  }
}

describe('Outbox in two tabs of the same user', () => {
  let http: HttpTestingController;
  let idb: IDBFactory;
  const url = '/api/conversations/c1/messages';

  beforeEach(() => {
    idb = new FakeIDBFactory();
    Object.defineProperty(navigator, 'locks', { value: new FakeLocks(), configurable: true });
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        { provide: OUTBOX_INDEXED_DB, useValue: idb },
        { provide: Realtime, useValue: new FakeRealtime() },
        { provide: AuthStore, useValue: { user: signal({ id: 'u1' }) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => {
    delete (navigator as { locks?: unknown }).locks;
    http.verify();
  });

  /** Another tab: its own Outbox over the same IndexedDB, lock and channel (and, here, the same HTTP backend). */
  function anotherTab(): Outbox {
    const injector = createEnvironmentInjector([Outbox, { provide: Realtime, useValue: new FakeRealtime() }], TestBed.inject(EnvironmentInjector));
    return injector.get(Outbox);
  }

  it('sends a message once although both tabs hold it, and the other tab lets it go too', async () => {
    const first = TestBed.inject(Outbox);
    await first.add(entry('k1', 'one'));
    const post = await vi.waitFor(() => http.expectOne(url));
    // The second tab opens while the first is sending: it reads k1 from disk and wants to send it too.
    const second = anotherTab();
    await vi.waitFor(() => expect(second.entries().map((item) => item.clientId)).toEqual(['k1']));
    post.flush(message({ id: 'm1', clientId: 'k1', senderId: 'u1', body: 'one' }));
    await vi.waitFor(() => expect(second.entries()).toEqual([]));
    expect(first.entries()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    http.expectNone(url);
  });

  it('shows a discard in one tab in the other', async () => {
    const first = TestBed.inject(Outbox);
    const second = anotherTab();
    await first.add({ ...entry('k1', 'refused'), refusal: { code: 'BLOCKED', reason: 'Blocked' } });
    await vi.waitFor(() => expect(second.entries().map((item) => item.refusal?.code)).toEqual(['BLOCKED']));
    await second.discard('k1');
    await vi.waitFor(() => expect(first.entries()).toEqual([]));
  });
});
