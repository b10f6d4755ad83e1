// The deployment's nginx in front of two real backends, without Docker.
//
// Renders the real docker/nginx.conf exactly as the nginx image does (only its IRIS_* variables are
// replaced: the listen address, the web root, the upstream's servers and the body limit, which comes
// from the real docker/nginx-env.envsh), includes it in a minimal main configuration whose paths are
// all under a temporary directory, and runs it with the system's nginx in the foreground as the
// current user. Behind it: two instances of the built backend on one scratch PostgreSQL database, one
// Redis (a key prefix of their own) and one upload directory, like two replicas in production.
// Through nginx it checks the web client (deep links, caching, security headers), the API, Swagger,
// Socket.IO (long-polling kept on one instance, the upgrade to WebSocket, WebSocket-only clients),
// live delivery between users connected to different instances, and the upload limit.
//
// Expects `npm run build` to have run. Environment: TEST_DATABASE_URL (a PostgreSQL server where a
// database may be created; default postgres://postgres@127.0.0.1:5432/postgres), TEST_REDIS_URL
// (default redis://127.0.0.1:6379), NGINX (the nginx binary; default: nginx on PATH or /usr/sbin/nginx),
// NGINX_MIME_TYPES (default /etc/nginx/mime.types). With --hold it keeps everything running after the
// checks, for a look in a browser, until Ctrl-C.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { api } from '../../scripts/lib/api.mjs';
import { createScratchDatabase } from '../../scripts/lib/scratch-database.mjs';
import { freePort, stopProcess } from '../../scripts/lib/server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const serverUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const webRoot = join(root, 'frontend/dist/iris/browser');
const backendMain = join(root, 'backend/dist/main.js');
const MAX_UPLOAD_MB = 2;
const MIB = 1024 * 1024;
const PASSWORD = 'correct horse battery';
const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
  "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'self'; " +
  "frame-ancestors 'none'; form-action 'self'";

// ---------------------------------------------------------------------------------------------
// Checks

let passed = 0;
let failed = 0;

async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`  ok    ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`  FAIL  ${name}\n        ${error instanceof Error ? error.message : error}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

function equal(actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// ---------------------------------------------------------------------------------------------
// Processes

function findNginx() {
  if (process.env.NGINX) return process.env.NGINX;
  for (const dir of (process.env.PATH ?? '').split(':').concat('/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin')) {
    if (dir && existsSync(join(dir, 'nginx'))) return join(dir, 'nginx');
  }
  return null;
}

async function waitFor(what, probe, timeoutMs, isAlive = () => true) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (!isAlive()) throw new Error(`${what}: the process exited`);
    try {
      if (await probe()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s${last ? ` (${last.message})` : ''}`);
}

const children = [];

function start(name, command, args, options) {
  const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  child.label = name;
  children.push(child);
  return child;
}


// ---------------------------------------------------------------------------------------------
// nginx configuration

/** Runs docker/nginx-env.envsh the way the image's entrypoint does (sourced by sh) and returns what it exports. */
function envshBodySize(maxUploadMb) {
  const env = { PATH: process.env.PATH };
  if (maxUploadMb !== undefined) env.MAX_UPLOAD_MB = String(maxUploadMb);
  return execFileSync('sh', ['-c', '. "$0" && printf %s "$IRIS_CLIENT_MAX_BODY_SIZE"', join(root, 'docker/nginx-env.envsh')], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * docker/nginx.conf with its IRIS_* variables replaced, as the image's envsubst step does
 * (NGINX_ENVSUBST_FILTER=IRIS_: `${IRIS_X}` and `$IRIS_X` with a value, nothing else).
 */
function renderTemplate(template, values) {
  const rendered = template.replace(/\$(\{)?(IRIS_\w*)(\})?/g, (match, open, name, close) => {
    if (Boolean(open) !== Boolean(close)) return match;
    if (!(name in values)) throw new Error(`docker/nginx.conf uses ${name}, which the smoke test does not set`);
    return values[name];
  });
  return rendered;
}

function mainConfig(prefix, siteConf) {
  const mimeTypes = process.env.NGINX_MIME_TYPES || '/etc/nginx/mime.types';
  const user = userInfo();
  return [
    '# Written by docker/smoke/nginx-smoke.mjs: what the nginx image\'s own nginx.conf provides, with every path',
    '# under a temporary directory. The site itself is docker/nginx.conf, rendered.',
    'daemon off;',
    'worker_processes 1;',
    `pid ${prefix}/nginx.pid;`,
    `error_log ${prefix}/logs/error.log warn;`,
    // As root, workers would switch to "nobody", which cannot use the private temporary directory.
    ...(user.uid === 0 ? [`user ${user.username};`] : []),
    'events { worker_connections 256; }',
    'http {',
    `    include ${mimeTypes};`,
    '    default_type application/octet-stream;',
    '    log_format smoke \'$request_method $request_uri $status upstream=$upstream_addr\';',
    `    access_log ${prefix}/logs/access.log smoke;`,
    `    client_body_temp_path ${prefix}/temp/body;`,
    `    proxy_temp_path ${prefix}/temp/proxy;`,
    `    fastcgi_temp_path ${prefix}/temp/fastcgi;`,
    `    uwsgi_temp_path ${prefix}/temp/uwsgi;`,
    `    scgi_temp_path ${prefix}/temp/scgi;`,
    '    sendfile on;',
    `    include ${siteConf};`,
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTTP helpers

async function upload(base, token, size) {
  const form = new FormData();
  // Random bytes: stored as a plain file, nothing to decode.
  form.append('file', new Blob([randomBytes(size)], { type: 'application/octet-stream' }), `smoke-${size}.bin`);
  const response = await fetch(`${base}/api/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

/** Resolves with the first `event` on the socket whose payload passes `accept`, or rejects after `ms`. */
function nextEvent(socket, event, accept = () => true, ms = 10_000) {
  return new Promise((done, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no ${event} within ${ms / 1000} s`));
    }, ms);
    const listener = (payload) => {
      if (!accept(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      done(payload);
    };
    socket.on(event, listener);
  });
}

function connectSocket(base, token, options) {
  const socket = io(base, { auth: { token }, reconnection: false, forceNew: true, ...options });
  const ready = new Promise((done, reject) => {
    socket.once('ready', done);
    socket.once('connect_error', (error) => reject(new Error(`connect_error: ${error.message}`)));
    setTimeout(() => reject(new Error('no ready within 15 s')), 15_000);
  });
  return { socket, ready };
}

// ---------------------------------------------------------------------------------------------
// The run

const nginxBin = findNginx();
for (const [what, path] of [
  ['the backend build', backendMain],
  ['the frontend build', join(webRoot, 'index.html')],
]) {
  if (!existsSync(path)) {
    console.error(`nginx smoke: ${what} is missing (${path}); run \`npm run build\` first.`);
    process.exit(1);
  }
}
if (!nginxBin) {
  console.error('nginx smoke: nginx is not installed (apt-get install nginx), or set NGINX to its path.');
  process.exit(1);
}

const redisPrefix = `iris_smoke_${randomBytes(4).toString('hex')}:`;
const work = mkdtempSync(join(tmpdir(), 'iris-nginx-smoke-'));
const prefix = join(work, 'nginx');
const uploads = join(work, 'uploads');
const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
const sockets = [];
let database;

async function cleanUp() {
  for (const socket of sockets) socket.disconnect();
  await Promise.all(children.map((child) => stopProcess(child)));
  await database?.drop();
  if (redis.status === 'ready') {
    const keys = await redis.keys(`${redisPrefix}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys).catch(() => undefined);
    redis.disconnect();
  }
  rmSync(work, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}
const watchdog = setTimeout(() => {
  console.error('nginx smoke: gave up after 5 minutes');
  void cleanUp().finally(() => process.exit(1));
}, 300_000);

let aborted = null;
try {
  console.log(`nginx smoke: ${nginxBin}, Redis prefix ${redisPrefix}`);

  // --- The body limit script of the image -----------------------------------------------------
  let bodySize;
  await check('nginx-env.envsh: client_max_body_size is MAX_UPLOAD_MB + 1 MiB (default 50 → 51m, 2 → 3m)', () => {
    equal(envshBodySize(undefined), '51m', 'without MAX_UPLOAD_MB');
    bodySize = envshBodySize(MAX_UPLOAD_MB);
    equal(bodySize, `${MAX_UPLOAD_MB + 1}m`, `with MAX_UPLOAD_MB=${MAX_UPLOAD_MB}`);
  });
  await check('nginx-env.envsh: refuses a MAX_UPLOAD_MB that is not a number', () => {
    let refused = false;
    try {
      envshBodySize('2x');
    } catch {
      refused = true;
    }
    assert(refused, 'MAX_UPLOAD_MB=2x was accepted');
  });
  bodySize ??= `${MAX_UPLOAD_MB + 1}m`;

  // --- Two backends ------------------------------------------------------------------------------
  await redis.connect();
  database = await createScratchDatabase(serverUrl, 'iris_nginx_smoke_test');
  console.log(`nginx smoke: database ${database.name}`);
  mkdirSync(uploads);
  const ports = [await freePort(), await freePort()];
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(DATABASE_URL|REDIS_|S3_|ADMIN_|UPLOAD_DIR|NODE_ENV|PORT|HOST|MAX_UPLOAD_MB|SWAGGER_ENABLED|TRUST_PROXY|JWT_)/.test(name)) delete env[name];
  }
  const jwtSecret = randomBytes(48).toString('base64');
  // Started together: migrations run once, under PostgreSQL's advisory lock, while the other waits.
  const backends = ports.map((port, index) =>
    start(`backend ${index + 1}`, process.execPath, [backendMain], {
      // A directory of its own: no .env is read.
      cwd: work,
      env: {
        ...env,
        NODE_ENV: 'production',
        JWT_SECRET: jwtSecret,
        SWAGGER_ENABLED: 'true',
        TRUST_PROXY: 'true',
        DATABASE_URL: database.url,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: redisPrefix,
        UPLOAD_DIR: uploads,
        MAX_UPLOAD_MB: String(MAX_UPLOAD_MB),
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'warn',
        AUTH_RATE_LIMIT_PER_MINUTE: '1000',
        // One process each: the checks below include long-polling, which several workers refuse.
        WORKERS: '1',
      },
    }),
  );
  const direct = ports.map((port) => `http://127.0.0.1:${port}`);
  await Promise.all(
    backends.map((child, index) =>
      waitFor(
        `backend ${index + 1} did not answer /api/health`,
        async () => (await fetch(`${direct[index]}/api/health`)).ok,
        90_000,
        () => child.exitCode === null,
      ),
    ),
  );

  // --- nginx ---------------------------------------------------------------------------------------
  const nginxPort = await freePort();
  const base = `http://127.0.0.1:${nginxPort}`;
  for (const dir of ['logs', 'temp']) mkdirSync(join(prefix, dir), { recursive: true });
  const template = readFileSync(join(root, 'docker/nginx.conf'), 'utf8');
  const values = {
    IRIS_LISTEN: `127.0.0.1:${nginxPort}`,
    IRIS_WEB_ROOT: webRoot,
    IRIS_BACKEND_SERVERS: ports.map((port) => `server 127.0.0.1:${port};`).join(' '),
    IRIS_CLIENT_MAX_BODY_SIZE: bodySize,
  };
  const rendered = renderTemplate(template, values);
  const siteConf = join(prefix, 'iris.conf');
  writeFileSync(siteConf, rendered);
  writeFileSync(join(prefix, 'nginx.conf'), mainConfig(prefix, siteConf));
  const nginxArgs = ['-p', `${prefix}/`, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'logs/error.log')];

  await check('the rendered docker/nginx.conf differs from the file only in its IRIS_* variables, and nginx -t accepts it', () => {
    assert(!/\$\{?IRIS_/.test(rendered), 'an IRIS_ variable is left');
    const placeholders = template.match(/\$\{IRIS_\w+\}/g) ?? [];
    equal(new Set(placeholders).size, Object.keys(values).length, 'number of distinct IRIS_* variables');
    let back = rendered;
    for (const [name, value] of Object.entries(values)) back = back.split(value).join(`\${${name}}`);
    equal(back, template, 'the rendered file with the values put back');
    execFileSync(nginxBin, [...nginxArgs, '-t', '-q'], { stdio: ['ignore', 'pipe', 'pipe'] });
  });

  const nginx = start('nginx', nginxBin, nginxArgs, {});
  await waitFor('nginx did not listen', async () => (await fetch(`${base}/`)).status > 0, 15_000, () => nginx.exitCode === null);

  // --- The web client ----------------------------------------------------------------------------
  const home = await fetch(`${base}/`);
  const homeHtml = await home.text();
  await check('GET / is the web client, served by nginx itself (no backend request id), never cached', () => {
    equal(home.status, 200, 'status');
    assert(homeHtml.includes('<app-root'), 'no <app-root> in the page');
    assert((home.headers.get('content-type') ?? '').startsWith('text/html'), `content-type ${home.headers.get('content-type')}`);
    equal(home.headers.get('cache-control'), 'no-cache', 'cache-control');
    equal(home.headers.get('x-request-id'), null, 'x-request-id (only the backend sends one)');
  });
  await check('a deep link (/chats/123) is answered with index.html', async () => {
    const response = await fetch(`${base}/chats/123`);
    equal(response.status, 200, 'status');
    equal(await response.text(), homeHtml, 'body');
    equal(response.headers.get('cache-control'), 'no-cache', 'cache-control');
  });
  await check('hashed bundles are cached for a year; a missing file is a 404, not the app', async () => {
    const bundle = homeHtml.match(/src="([^"]*-[A-Z0-9]{8,}\.js)"/)?.[1];
    assert(bundle, 'no hashed script in index.html');
    const response = await fetch(`${base}/${bundle}`);
    equal(response.status, 200, `GET /${bundle}`);
    assert((response.headers.get('content-type') ?? '').includes('javascript'), `content-type ${response.headers.get('content-type')}`);
    equal(response.headers.get('cache-control'), 'public, max-age=31536000, immutable', 'cache-control');
    equal((await fetch(`${base}/no-such-bundle-ABCDEFGH.js`)).status, 404, 'a missing bundle');
  });
  await check('the crypto library\'s wasm is application/wasm, revalidated, gzipped; a missing one is a 404', async () => {
    const response = await fetch(`${base}/crypto/matrix_sdk_crypto_wasm_bg.wasm`, { headers: { 'accept-encoding': 'gzip' } });
    equal(response.status, 200, 'status');
    equal(response.headers.get('content-type'), 'application/wasm', 'content-type');
    equal(response.headers.get('cache-control'), 'no-cache', 'cache-control');
    equal(response.headers.get('content-encoding'), 'gzip', 'content-encoding');
    await response.arrayBuffer();
    equal((await fetch(`${base}/crypto/no-such.wasm`)).status, 404, 'a missing wasm');
  });
  await check('security headers on the web client: the CSP, nosniff, no-referrer, frame and permissions policies; HSTS only over HTTPS', async () => {
    const headers = home.headers;
    equal(headers.get('content-security-policy'), CSP, 'content-security-policy');
    equal(headers.get('x-content-type-options'), 'nosniff', 'x-content-type-options');
    equal(headers.get('referrer-policy'), 'no-referrer', 'referrer-policy');
    equal(headers.get('x-frame-options'), 'DENY', 'x-frame-options');
    assert((headers.get('permissions-policy') ?? '').includes('geolocation=()'), `permissions-policy ${headers.get('permissions-policy')}`);
    equal(headers.get('strict-transport-security'), null, 'HSTS over plain HTTP');
    const behindTls = await fetch(`${base}/chats`, { headers: { 'x-forwarded-proto': 'https' } });
    assert((behindTls.headers.get('strict-transport-security') ?? '').startsWith('max-age='), 'no HSTS behind a TLS proxy');
  });

  // --- The API and Swagger -----------------------------------------------------------------------
  await check('/api/health through nginx reaches a backend, which keeps the client\'s request id', async () => {
    const requestId = `smoke-${randomBytes(4).toString('hex')}`;
    const response = await api(base, 'GET', '/api/health', { headers: { 'x-request-id': requestId } });
    equal(response.status, 200, 'status');
    equal(response.json?.status, 'ok', 'status field');
    equal(response.headers.get('x-request-id'), requestId, 'x-request-id');
    equal(response.headers.get('x-content-type-options'), 'nosniff', 'x-content-type-options');
  });
  await check('API paths that look like files still reach the backend (no static-file rule catches them)', async () => {
    const api = await fetch(`${base}/api/no-such-route.json`);
    equal(api.status, 404, '/api/no-such-route.json');
    assert(api.headers.get('x-request-id'), '/api/no-such-route.json was not answered by a backend');
    equal((await api.json()).statusCode, 404, 'the API error shape');
    // Engine.IO answers a request without a transport itself.
    const socket = await fetch(`${base}/socket.io/no-such-file.js`);
    equal(socket.status, 400, '/socket.io/no-such-file.js');
    assert((await socket.text()).includes('Transport unknown'), '/socket.io/no-such-file.js was not answered by Socket.IO');
  });
  const users = {};
  await check('register and sign in through nginx', async () => {
    for (const name of ['alice', 'bob']) {
      const username = `${name}_${randomBytes(3).toString('hex')}`;
      const registered = await api(base, 'POST', '/api/auth/register', { body: { username, password: PASSWORD } });
      equal(registered.status, 201, `register ${name}`);
      const login = await api(base, 'POST', '/api/auth/login', { body: { username, password: PASSWORD } });
      equal(login.status, 200, `login ${name}`);
      users[name] = { id: login.json.user.id, token: login.json.accessToken };
    }
    const me = await api(base, 'GET', '/api/users/me', { token: users.alice.token });
    equal(me.status, 200, 'GET /api/users/me');
    equal(me.json.id, users.alice.id, 'my id');
  });
  if (!users.bob) throw new Error('cannot go on without users');
  await check('Swagger UI at /apidocs and the OpenAPI JSON at /apidocs-json through nginx', async () => {
    const ui = await fetch(`${base}/apidocs`);
    equal(ui.status, 200, '/apidocs');
    assert((await ui.text()).toLowerCase().includes('swagger'), '/apidocs is not Swagger UI');
    const json = await api(base, 'GET', '/apidocs-json');
    equal(json.status, 200, '/apidocs-json');
    assert(typeof json.json?.openapi === 'string', 'no openapi field');
  });

  // --- Socket.IO -----------------------------------------------------------------------------------
  await check('Socket.IO long-polling stays on one instance (the iris_route cookie), with two instances behind nginx', async () => {
    const handshake = await fetch(`${base}/socket.io/?EIO=4&transport=polling`);
    equal(handshake.status, 200, 'handshake');
    const cookie = (handshake.headers.get('set-cookie') ?? '').match(/iris_route=([0-9a-f]{32})/)?.[1];
    assert(cookie, `no iris_route cookie: ${handshake.headers.get('set-cookie')}`);
    const { sid } = JSON.parse((await handshake.text()).slice(1));
    const url = `${base}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    const headers = { cookie: `iris_route=${cookie}`, 'content-type': 'text/plain;charset=UTF-8' };
    const connect = await fetch(url, { method: 'POST', headers, body: `40${JSON.stringify({ token: users.alice.token })}` });
    equal(connect.status, 200, 'connect packet');
    const connected = await fetch(url, { headers });
    equal(connected.status, 200, 'first poll');
    assert((await connected.text()).startsWith('40{'), 'no Socket.IO connect acknowledgement');
    // Without the cookie each of these would reach either instance, and the other one knows no such session.
    for (let i = 0; i < 6; i += 1) {
      const pong = await fetch(url, { method: 'POST', headers, body: '3' });
      equal(pong.status, 200, `request ${i + 1} of the session`);
      await pong.text();
    }
    await (await fetch(url, { method: 'POST', headers, body: '1' })).text();
  });

  // Alice: like the web client (long-polling first, then the upgrade), with cookies kept.
  const alice = connectSocket(base, users.alice.token, { withCredentials: true });
  sockets.push(alice.socket);
  const aliceUpgraded = new Promise((done) => alice.socket.io.engine.once('upgrade', (transport) => done(transport.name)));
  await check('Socket.IO through nginx: a client that starts with long-polling upgrades to WebSocket and gets `ready`', async () => {
    const ready = await alice.ready;
    equal(ready.userId, users.alice.id, 'ready.userId');
    const upgraded = await Promise.race([aliceUpgraded, new Promise((done) => setTimeout(() => done('no upgrade within 10 s'), 10_000))]);
    equal(upgraded, 'websocket', 'upgrade');
    equal(alice.socket.io.engine.transport.name, 'websocket', 'transport');
  });

  /** The instance (its presence id in Redis) that holds this socket. */
  async function instanceOf(userId, socketId) {
    let instance = null;
    await waitFor('the socket is not in Redis', async () => {
      const members = await redis.smembers(`${redisPrefix}presence:user:${userId}`);
      instance = members.find((member) => member.endsWith(`/${socketId}`))?.split('/')[0] ?? null;
      return instance !== null;
    }, 5_000);
    return instance;
  }

  // Bob: WebSocket only. Connections land on either instance; bob needs the one alice is not on.
  let bob;
  await check('two users are connected through nginx to different instances (WebSocket-only client for the second)', async () => {
    const instances = await redis.smembers(`${redisPrefix}presence:instances`);
    equal(instances.length, 2, 'instances with a heartbeat in Redis');
    const aliceInstance = await instanceOf(users.alice.id, alice.socket.id);
    for (let attempt = 1; attempt <= 20 && !bob; attempt += 1) {
      const candidate = connectSocket(base, users.bob.token, { transports: ['websocket'] });
      await candidate.ready;
      equal(candidate.socket.io.engine.transport.name, 'websocket', 'transport');
      if ((await instanceOf(users.bob.id, candidate.socket.id)) !== aliceInstance) bob = candidate;
      else candidate.socket.disconnect();
    }
    assert(bob, 'twenty WebSocket connections all reached alice\'s instance');
    sockets.push(bob.socket);
  });
  if (!bob) throw new Error('cannot go on without a second instance');

  let conversationId;
  await check('friends and a conversation through nginx', async () => {
    const request = await api(base, 'POST', '/api/friends/requests', { token: users.alice.token, body: { userId: users.bob.id } });
    equal(request.status, 201, 'friend request');
    const accepted = await api(base, 'POST', `/api/friends/requests/${request.json.request.id}/accept`, { token: users.bob.token });
    assert(accepted.status === 200 || accepted.status === 201, `accept: ${accepted.status} ${accepted.text}`);
    const conversation = await api(base, 'POST', '/api/conversations', { token: users.alice.token, body: { userId: users.bob.id, encrypted: false } });
    assert(conversation.status === 200 || conversation.status === 201, `conversation: ${conversation.status}`);
    conversationId = conversation.json.id;
  });

  /** Sends a message through `via` and expects both sockets (on different instances) to receive it live. */
  async function deliver(via, body) {
    const clientId = randomUUID();
    const matches = (message) => message.clientId === clientId;
    const received = Promise.all([nextEvent(alice.socket, 'message.created', matches), nextEvent(bob.socket, 'message.created', matches)]);
    const sent = await api(via, 'POST', `/api/conversations/${conversationId}/messages`, { token: users.alice.token, body: { clientId, body } });
    equal(sent.status, 201, 'send');
    const [toAlice, toBob] = await received;
    equal(toAlice.body, body, 'the body alice got');
    equal(toBob.body, body, 'the body bob got');
    equal(toBob.id, sent.json.id, 'the message id bob got');
  }
  await check('live delivery: a message sent through nginx reaches both users\' sockets on their two instances', () =>
    deliver(base, 'Hello through nginx'),
  );
  await check('live delivery across instances both ways: a message sent through each instance reaches the sockets on both', async () => {
    await deliver(direct[0], 'Hello through instance 1');
    await deliver(direct[1], 'Hello through instance 2');
  });

  // --- Uploads -------------------------------------------------------------------------------------
  await check(`an upload of exactly MAX_UPLOAD_MB (${MAX_UPLOAD_MB} MiB) passes nginx and the backend; both instances serve it`, async () => {
    const response = await upload(base, users.alice.token, MAX_UPLOAD_MB * MIB);
    equal(response.status, 201, `status (${response.text.slice(0, 200)})`);
    for (const [index, instance] of direct.entries()) {
      const download = await fetch(`${instance}/api/attachments/${response.json.id}`, { headers: { authorization: `Bearer ${users.alice.token}` } });
      equal(download.status, 200, `download from instance ${index + 1}`);
      equal((await download.arrayBuffer()).byteLength, MAX_UPLOAD_MB * MIB, `size from instance ${index + 1}`);
    }
  });
  await check('one byte more is refused by the backend: 413 FILE_TOO_LARGE', async () => {
    const response = await upload(base, users.alice.token, MAX_UPLOAD_MB * MIB + 1);
    equal(response.status, 413, 'status');
    equal(response.json?.code, 'FILE_TOO_LARGE', 'code');
    assert(response.headers.get('x-request-id'), 'not answered by the backend');
  });
  await check(`a body above client_max_body_size (${bodySize}) is refused by nginx itself: 413 in the API's error shape`, async () => {
    const response = await upload(base, users.alice.token, (MAX_UPLOAD_MB + 1) * MIB + 64 * 1024);
    equal(response.status, 413, 'status');
    equal(response.json?.code, 'FILE_TOO_LARGE', 'code');
    equal(response.headers.get('x-request-id'), null, 'x-request-id (the backend never saw it)');
    equal(response.headers.get('content-security-policy'), CSP, 'content-security-policy on the error');
  });
  if (process.argv.includes('--hold')) {
    clearTimeout(watchdog);
    console.log(`nginx smoke: holding on: Iris through nginx at ${base} (instances at ${direct.join(', ')}); Ctrl-C stops`);
    await new Promise(() => undefined);
  }
} catch (error) {
  aborted = error instanceof Error ? error.message : String(error);
  console.log(`  FAIL  stopped: ${aborted}`);
  failed += 1;
} finally {
  clearTimeout(watchdog);
  await cleanUp();
}

console.log(`nginx smoke: ${passed} checks passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
