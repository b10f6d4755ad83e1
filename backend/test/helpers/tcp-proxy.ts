import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, to take a server (PostgreSQL, Redis) away from the app and give it
 * back without touching the real one: `stop()` refuses new connections and cuts the open ones,
 * `start()` listens again on the same port, and `hold()` keeps what the app writes from reaching the
 * server, so a command can be caught in flight when the connection is then cut.
 */
export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly links = new Map<Socket, Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      this.links.set(client, upstream);
      client.on('close', () => this.links.delete(client));
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** From now on, what the app writes on its open connections is accepted but never forwarded. */
  hold(): void {
    for (const [client, upstream] of this.links) {
      client.unpipe(upstream);
      client.pause();
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.links.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
