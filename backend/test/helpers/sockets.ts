import type { AddressInfo } from 'node:net';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { TestApp } from './test-app.js';

export interface Received {
  event: string;
  data: unknown;
}

/** What a refused handshake answers: `connect_error` with a message and `data: { code, message }`. */
export interface HandshakeRefusal {
  message: string;
  data?: { code: string; message: string };
}

type Options = Partial<ManagerOptions & SocketOptions>;

const WAIT_MS = 5_000;
const open = new Set<Socket>();

/** The app's base URL (it listens on an ephemeral port). */
export function baseUrl(t: TestApp): string {
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

/** A Socket.IO client that records every event it receives, in order of arrival. */
export class TestSocket {
  readonly received: Received[] = [];
  disconnectReason: string | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, data: unknown) => {
      this.received.push({ event, data });
      this.notify();
    });
    socket.on('disconnect', (reason) => {
      this.disconnectReason = reason;
      this.notify();
    });
  }

  /** The first event `event` (matching `where`) received so far or within `timeoutMs`, with its position. */
  async waitForEntry<T>(event: string, where: (data: T) => boolean = () => true, timeoutMs = WAIT_MS): Promise<{ index: number; data: T }> {
    const find = () => this.received.findIndex((r) => r.event === event && where(r.data as T));
    await this.until(() => find() >= 0, timeoutMs, () => `no "${event}" event matching ${where.toString()}`);
    const index = find();
    return { index, data: this.received[index].data as T };
  }

  async waitFor<T>(event: string, where: (data: T) => boolean = () => true, timeoutMs = WAIT_MS): Promise<T> {
    return (await this.waitForEntry(event, where, timeoutMs)).data;
  }

  /** Events received before the first `event` matching `where` (waiting for it), to prove something did not arrive before it. */
  async receivedBefore<T>(event: string, where: (data: T) => boolean = () => true): Promise<Received[]> {
    const { index } = await this.waitForEntry(event, where);
    return this.received.slice(0, index);
  }

  /** Resolves with the disconnect reason once the server has closed the socket. */
  async disconnected(timeoutMs = WAIT_MS): Promise<string> {
    await this.until(() => this.disconnectReason !== null, timeoutMs, () => 'the socket was not disconnected');
    return this.disconnectReason!;
  }

  of(event: string): unknown[] {
    return this.received.filter((r) => r.event === event).map((r) => r.data);
  }

  emitWithAck<T>(event: string, ...args: unknown[]): Promise<T> {
    return this.socket.timeout(WAIT_MS).emitWithAck(event, ...args) as Promise<T>;
  }

  close(): void {
    this.socket.disconnect();
    open.delete(this.socket);
  }

  private until(done: () => boolean, timeoutMs: number, describe: () => string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        const seen = this.received.map((r) => `${r.event} ${JSON.stringify(r.data)}`).join('\n  ');
        reject(new Error(`${describe()} within ${timeoutMs} ms; received:\n  ${seen || '(nothing)'}`));
      }, timeoutMs);
      this.listeners.add(check);
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function socketFor(url: string, options: Options): Socket {
  const socket = io(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  open.add(socket);
  return socket;
}

/** Connects with `token` in `auth.token` and resolves once the server sent `ready` (rooms joined, presence sent). */
export function connect(target: TestApp | string, token: string, options: Options = {}): Promise<TestSocket> {
  const url = typeof target === 'string' ? target : baseUrl(target);
  const client = new TestSocket(socketFor(url, { auth: { token }, ...options }));
  return new Promise((resolve, reject) => {
    client.socket.once('connect_error', (error) => reject(new Error(`connect_error: ${error.message}`)));
    client.waitFor('ready').then(() => resolve(client), reject);
  });
}

/** Tries to connect and resolves with the `connect_error` the handshake answered; fails if it connects. */
export function refusal(target: TestApp | string, options: Options): Promise<HandshakeRefusal> {
  const url = typeof target === 'string' ? target : baseUrl(target);
  const socket = socketFor(url, options);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('the handshake was accepted')));
    socket.once('connect_error', (error: Error & { data?: HandshakeRefusal['data'] }) => {
      socket.disconnect();
      open.delete(socket);
      resolve({ message: error.message, data: error.data });
    });
  });
}

/** Closes every socket the helpers opened (call in afterEach, so no handle keeps Jest alive). */
export function closeSockets(): void {
  for (const socket of open) socket.disconnect();
  open.clear();
}
