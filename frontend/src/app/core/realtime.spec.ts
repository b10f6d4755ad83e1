import { signal } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { SERVER_EVENTS } from '../../sdk/realtime-events';
import { AuthStore } from './auth-store';
import { Realtime, type RealtimeSocket, SEND_ACK_TIMEOUT_MS, SOCKET_FACTORY, SocketSendError } from './realtime';

type AckCallback = (error: Error | null, answer?: unknown) => void;

class FakeSocket implements RealtimeSocket {
  auth: unknown;
  connected = false;
  id: string | undefined = undefined;
  readonly listeners = new Map<string, ((...args: any[]) => void)[]>();
  readonly emitted: unknown[][] = [];
  /** Acknowledgements awaited through timeout(): as in Socket.IO, each gets an error on its timeout or at a disconnect. */
  readonly acks: AckCallback[] = [];
  connects = 0;
  disconnects = 0;

  constructor(token: string) {
    this.auth = { token };
  }

  on(event: string, listener: (...args: any[]) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]): this {
    this.emitted.push([event, ...args]);
    return this;
  }
  timeout(ms: number): { emit(event: string, ...args: unknown[]): unknown } {
    return {
      emit: (event: string, ...args: unknown[]) => {
        const callback = args.pop() as AckCallback;
        const ack: AckCallback = (error, answer) => {
          clearTimeout(timer);
          callback(error, answer);
        };
        const timer = setTimeout(() => this.settle(ack, new Error('operation has timed out')), ms);
        this.acks.push(ack);
        this.emitted.push([event, ...args, ack]);
      },
    };
  }
  connect(): this {
    this.connects++;
    return this;
  }
  disconnect(): this {
    this.disconnects++;
    this.close('io client disconnect');
    return this;
  }
  /** The connection ends: listeners hear `disconnect`, then every awaited acknowledgement fails, as in Socket.IO. */
  close(reason: string): void {
    this.connected = false;
    this.serve('disconnect', reason);
    for (const ack of this.acks.splice(0)) ack(new Error('socket has been disconnected'));
  }
  /** The server answers the acknowledgement of the emit at this index. */
  acknowledge(index: number, answer: unknown): void {
    this.settle(this.emitted[index][this.emitted[index].length - 1] as AckCallback, null, answer);
  }
  private settle(ack: AckCallback, error: Error | null, answer?: unknown): void {
    const at = this.acks.indexOf(ack);
    if (at === -1) return;
    this.acks.splice(at, 1);
    ack(error, answer);
  }
  /** The server's side: deliver an event to the listeners. */
  serve(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

describe('Realtime', () => {
  let sockets: FakeSocket[];
  let token: ReturnType<typeof signal<string | null>>;
  let signedIn: ReturnType<typeof signal<boolean>>;
  let refresh: ReturnType<typeof vi.fn<() => Promise<boolean>>>;

  function create(): Realtime {
    const sut = TestBed.inject(Realtime);
    TestBed.tick();
    return sut;
  }

  beforeEach(() => {
    sockets = [];
    token = signal<string | null>('token-1');
    signedIn = signal(true);
    refresh = vi.fn(async () => {
      token.set('token-2');
      return true;
    });
    TestBed.configureTestingModule({
      providers: [
        {
          provide: AuthStore,
          useValue: {
            signedIn,
            accessToken: () => token(),
            refresh,
            renewAfter: async (used: string | null) => (token() !== null && token() !== used ? true : refresh()),
          },
        },
        {
          provide: SOCKET_FACTORY,
          useValue: (t: string) => {
            const socket = new FakeSocket(t);
            sockets.push(socket);
            return socket;
          },
        },
      ],
    });
  });

  it('connects with the access token when signed in and reports ready', () => {
    const sut = create();
    expect(sockets).toHaveLength(1);
    expect(sockets[0].auth).toEqual({ token: 'token-1' });
    expect(sut.status()).toBe('connecting');
    const ready = vi.fn();
    sut.ready$.subscribe(ready);
    sockets[0].serve('ready', { userId: 'u1', tokenExpiresAt: '2030-01-01T00:00:00.000Z', maxPayloadBytes: 16_384 });
    expect(ready).toHaveBeenCalledTimes(1);
    expect(sut.ready()).toBe(true);
  });

  it("names its socket only once the socket is ready, and passes an echo on like the server's events", () => {
    const sut = create();
    sockets[0].id = 'socket-1';
    sockets[0].connected = true;
    expect(sut.socketId()).toBeUndefined();
    sockets[0].serve('ready', { userId: 'u1', tokenExpiresAt: '2030-01-01T00:00:00.000Z', maxPayloadBytes: 16_384 });
    expect(sut.socketId()).toBe('socket-1');
    sockets[0].connected = false;
    expect(sut.socketId()).toBeUndefined();

    const created = vi.fn();
    sut.on('message.created').subscribe(created);
    sut.echo('message.created', { id: 'm1' } as never);
    expect(created).toHaveBeenCalledWith({ id: 'm1' });
  });

  it('passes events on by name', () => {
    const sut = create();
    const created = vi.fn();
    const typing = vi.fn();
    sut.on('message.created').subscribe(created);
    sut.on('typing').subscribe(typing);
    sockets[0].serve('message.created', { id: 'm1' });
    expect(created).toHaveBeenCalledWith({ id: 'm1' });
    expect(typing).not.toHaveBeenCalled();
  });

  it('listens to every event of the generated map, handling ready and error itself', () => {
    create();
    const forwarded = SERVER_EVENTS.filter((name) => name !== 'ready' && name !== 'error');
    for (const name of forwarded) expect(sockets[0].listeners.get(name)).toHaveLength(1);
    expect(sockets[0].listeners.has('error')).toBe(false);
  });

  it('after the server closes the socket, refreshes the token, connects again and fires ready$ again for catch-up', async () => {
    const sut = create();
    const ready = vi.fn();
    sut.ready$.subscribe(ready);
    sockets[0].serve('ready', { userId: 'u1', tokenExpiresAt: '', maxPayloadBytes: 16_384 });
    sockets[0].serve('error', { code: 'TOKEN_EXPIRED' });
    sockets[0].serve('disconnect', 'io server disconnect');
    expect(sut.status()).toBe('connecting');
    await vi.waitFor(() => expect(sockets[0].connects).toBe(1));
    expect(refresh).toHaveBeenCalledTimes(1);
    expect(sockets[0].auth).toEqual({ token: 'token-2' });
    expect(sockets).toHaveLength(1);
    sockets[0].serve('ready', { userId: 'u1', tokenExpiresAt: '', maxPayloadBytes: 16_384 });
    expect(ready).toHaveBeenCalledTimes(2);
  });

  it('leaves transport drops to Socket.IO\'s own reconnection', async () => {
    create();
    sockets[0].serve('disconnect', 'transport close');
    await Promise.resolve();
    expect(refresh).not.toHaveBeenCalled();
    expect(sockets[0].connects).toBe(0);
  });

  it('retries a refused handshake with a fresh token', async () => {
    create();
    sockets[0].serve('connect_error', { message: 'expired', data: { code: 'TOKEN_EXPIRED' } });
    await vi.waitFor(() => expect(sockets[0].connects).toBe(1));
    expect(sockets[0].auth).toEqual({ token: 'token-2' });
  });

  it('closes the socket at sign-out and ignores it afterwards', () => {
    const sut = create();
    const created = vi.fn();
    sut.on('message.created').subscribe(created);
    signedIn.set(false);
    TestBed.tick();
    expect(sockets[0].disconnects).toBe(1);
    expect(sut.status()).toBe('offline');
    sockets[0].serve('message.created', { id: 'm1' });
    expect(created).not.toHaveBeenCalled();
  });

  it('keeps socket.auth on the newest token for Socket.IO\'s own reconnections', () => {
    create();
    token.set('token-3');
    TestBed.tick();
    expect(sockets[0].auth).toEqual({ token: 'token-3' });
  });

  it('shows "reconnecting" only for a socket that was ready before', () => {
    const sut = create();
    expect(sut.reconnecting()).toBe(false);
    sockets[0].serve('ready', { userId: 'u1', tokenExpiresAt: '', maxPayloadBytes: 16_384 });
    sockets[0].serve('disconnect', 'transport close');
    expect(sut.reconnecting()).toBe(true);
    sockets[0].serve('ready', { userId: 'u1', tokenExpiresAt: '', maxPayloadBytes: 16_384 });
    expect(sut.reconnecting()).toBe(false);
  });

  it('connects again with the newer token before tokenExpiresAt, without another refresh', async () => {
    vi.useFakeTimers();
    try {
      const sut = create();
      const ready = vi.fn();
      sut.ready$.subscribe(ready);
      sockets[0].serve('ready', { userId: 'u1', tokenExpiresAt: new Date(Date.now() + 60_000).toISOString(), maxPayloadBytes: 16_384 });
      token.set('token-5');
      TestBed.tick();
      await vi.advanceTimersByTimeAsync(39_000);
      expect(sockets[0].disconnects).toBe(0);
      await vi.advanceTimersByTimeAsync(2_000);
      expect(sockets[0].disconnects).toBe(1);
      expect(sockets[0].connects).toBe(1);
      expect(sockets[0].auth).toEqual({ token: 'token-5' });
      expect(refresh).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends typing only while connected', () => {
    const sut = create();
    sut.typing('c1');
    expect(sockets[0].emitted).toHaveLength(0);
    sockets[0].connected = true;
    sut.typing('c1');
    expect(sockets[0].emitted[0].slice(0, 2)).toEqual(['typing', { conversationId: 'c1' }]);
  });

  describe('message.send', () => {
    const payload = (body: string) => ({ conversationId: 'c1', clientId: 'k1', body });
    const ready = (socket: FakeSocket, maxPayloadBytes?: number) => {
      socket.id = 'socket-1';
      socket.connected = true;
      // An hour ahead: the renewal must not close the socket during the test.
      socket.serve('ready', { userId: 'u1', tokenExpiresAt: new Date(Date.now() + 3_600_000).toISOString(), ...(maxPayloadBytes ? { maxPayloadBytes } : {}) });
    };

    it('can send only once the socket is in its rooms and the server named its limit', () => {
      const sut = create();
      sockets[0].connected = true;
      expect(sut.canSend(payload('hi'))).toBe(false);
      // A server from before message.send names no limit: it would answer UNKNOWN_EVENT.
      ready(sockets[0]);
      expect(sut.canSend(payload('hi'))).toBe(false);
      ready(sockets[0], 16_384);
      expect(sut.canSend(payload('hi'))).toBe(true);
      sockets[0].close('transport close');
      expect(sut.canSend(payload('hi'))).toBe(false);
    });

    it('counts the UTF-8 bytes of the event as sent, with room for the framing, against maxPayloadBytes', () => {
      const sut = create();
      ready(sockets[0], 4_096);
      // 1,300 characters: under the limit counted in characters, over it counted in bytes (3 each).
      expect(sut.canSend(payload('€'.repeat(1_300)))).toBe(false);
      expect(sut.canSend(payload('e'.repeat(1_300)))).toBe(true);
      // The edge: what the event takes as JSON plus the margin must not pass the limit.
      const json = JSON.stringify(['message.send', payload('')]).length;
      expect(sut.canSend(payload('e'.repeat(4_096 - 512 - json)))).toBe(true);
      expect(sut.canSend(payload('e'.repeat(4_096 - 512 - json + 1)))).toBe(false);
    });

    it('emits message.send with an acknowledgement and resolves with the answer', async () => {
      const sut = create();
      ready(sockets[0], 16_384);
      const sent = sut.send(payload('hi'));
      expect(sockets[0].emitted[0].slice(0, 2)).toEqual(['message.send', payload('hi')]);
      sockets[0].acknowledge(0, { ok: false, code: 'BLOCKED', message: 'Blocked' });
      await expect(sent).resolves.toEqual({ ok: false, code: 'BLOCKED', message: 'Blocked' });
    });

    it('rejects when the acknowledgement does not come in time', async () => {
      vi.useFakeTimers();
      try {
        const sut = create();
        ready(sockets[0], 16_384);
        const outcome = vi.fn();
        sut.send(payload('hi')).then(outcome, outcome);
        await vi.advanceTimersByTimeAsync(SEND_ACK_TIMEOUT_MS - 1);
        expect(outcome).not.toHaveBeenCalled();
        await vi.advanceTimersByTimeAsync(1);
        expect(outcome).toHaveBeenCalledWith(expect.any(SocketSendError));
      } finally {
        vi.useRealTimers();
      }
    });

    it('rejects when the socket drops before the answer, and at once when it is not ready', async () => {
      const sut = create();
      ready(sockets[0], 16_384);
      const sent = sut.send(payload('hi'));
      sockets[0].close('transport close');
      await expect(sent).rejects.toBeInstanceOf(SocketSendError);
      await expect(sut.send(payload('hi'))).rejects.toBeInstanceOf(SocketSendError);
      expect(sockets[0].emitted).toHaveLength(1);
    });
  });
});
