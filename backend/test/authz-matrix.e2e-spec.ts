import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'supertest';
import { befriend, openConversation } from './helpers/friends.js';
import { png } from './helpers/media.js';
import { OpenApiContract } from './helpers/openapi-contract.js';
import { fillPath, nestRoutes, type RouteKey, socketEvents } from './helpers/routes.js';
import { closeSockets, connect, refusal } from './helpers/sockets.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { SoftAuthenticator } from './helpers/webauthn.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

type Actor = 'owner' | 'peer' | 'stranger' | 'anonymous' | 'admin';
const ACTORS: Actor[] = ['owner', 'peer', 'stranger', 'anonymous', 'admin'];

/** The people every scenario starts from: owner and peer are friends with a conversation; stranger and admin know neither. */
interface World {
  t: TestApp;
  owner: Registered;
  peer: Registered;
  stranger: Registered;
  admin: Registered;
  conversationId: string;
}

interface Scenario {
  /** What the row is about, when a route has several (e.g. a sent and an unsent attachment). */
  label?: string;
  /** Sets up what this row acts on; it may replace an actor (e.g. a fresh account for an erasure). */
  setup(world: World): Promise<Fixture>;
  /** The status each actor gets; actors run in this order, so the one that changes state comes last. */
  expect: Partial<Record<Actor, number>>;
}

interface Fixture {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: (actor: Actor) => object | undefined;
  /** multipart upload instead of a JSON body */
  file?: { content: Buffer; filename: string; contentType: string };
  actors?: Partial<Record<Actor, Registered>>;
}

const fresh = (w: World) => register(w.t.http);

const BACKUP = { algorithm: 'm.megolm_backup.v1.curve25519-aes-sha2', auth_data: { public_key: 'A'.repeat(43) } };

/** Starts a key backup for the owner; answers its version. */
async function ownerBackup(w: World): Promise<string> {
  const res = await w.t.http.post('/api/e2ee/room_keys/version').set(bearer(w.owner.accessToken)).send(BACKUP);
  if (res.status !== 200) throw new Error(`room_keys/version answered ${res.status}`);
  return res.body.version as string;
}

async function sendMessage(w: World, from: Registered, conversationId = w.conversationId, extra: object = {}): Promise<string> {
  const res = await w.t.http
    .post(`/api/conversations/${conversationId}/messages`)
    .set(bearer(from.accessToken))
    .send({ clientId: randomUUID(), body: 'hello', ...extra })
    .expect(201);
  return res.body.id as string;
}

async function uploadImage(w: World, from: Registered): Promise<string> {
  const res = await w.t.http
    .post('/api/attachments')
    .set(bearer(from.accessToken))
    .attach('file', await png(), { filename: 'p.png', contentType: 'image/png' })
    .expect(201);
  return res.body.id as string;
}

async function friendRequest(w: World, from: Registered, to: Registered): Promise<string> {
  const res = await w.t.http.post('/api/friends/requests').set(bearer(from.accessToken)).send({ userId: to.id }).expect(201);
  return res.body.request.id as string;
}

/** A browser's push subscription on a push service the server allows by default (no push reaches it in these tests). */
const pushSubscription = () => ({
  endpoint: `https://fcm.googleapis.com/fcm/send/${randomUUID()}`,
  keys: { p256dh: createECDH('prime256v1').generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') },
});

/** Options of a registration the server never started. */
const MADE_UP_CREATION = { challenge: randomBytes(32).toString('base64url'), rp: { id: 'localhost' }, user: { id: randomBytes(8).toString('base64url') } };

/** A well-formed passkey answer to a challenge the server never made, by a passkey it does not know. */
function madeUpAssertion(): object {
  const authenticator = new SoftAuthenticator();
  const { passkey } = authenticator.create(MADE_UP_CREATION);
  return authenticator.get({ challenge: randomBytes(32).toString('base64url') }, passkey);
}

/** A passkey the owner registered, by its id. */
async function ownerPasskey(w: World): Promise<string> {
  const options = await w.t.http.post('/api/auth/passkeys/registration/options').set(bearer(w.owner.accessToken)).expect(200);
  const { credential } = new SoftAuthenticator().create(options.body);
  return (await w.t.http.post('/api/auth/passkeys').set(bearer(w.owner.accessToken)).send({ name: 'Key', credential }).expect(201)).body.id as string;
}

/** Everyone may: the route acts on the caller's own data. */
const everyone = (status: number): Partial<Record<Actor, number>> => ({ anonymous: 401, owner: status, peer: status, stranger: status, admin: status });
/** Only members of the conversation: outsiders learn nothing (404), admins included. */
const members = (status: number): Partial<Record<Actor, number>> => ({ anonymous: 401, stranger: 404, admin: 404, owner: status, peer: status });
const adminOnly = (status: number): Partial<Record<Actor, number>> => ({ anonymous: 401, owner: 403, peer: 403, stranger: 403, admin: status });

/** Reading a file or its thumbnail: once sent, both members may; before that, only its uploader. */
const ATTACHMENT_READS: Scenario[] = [
  {
    label: 'sent in the conversation',
    setup: async (w) => {
      const id = await uploadImage(w, w.owner);
      await sendMessage(w, w.owner, w.conversationId, { body: undefined, attachmentIds: [id] });
      return { params: { id } };
    },
    expect: members(200),
  },
  {
    label: 'uploaded, not sent yet',
    setup: async (w) => ({ params: { id: await uploadImage(w, w.owner) } }),
    expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 200 },
  },
];

/**
 * Every route of the API with who may do what. A route that is added without a row here fails the
 * "covers every route" test. Rows on an id name the owner of that id (the sender of a message or a
 * request, the uploader of a file, the user erased) and its peer (the other member, the recipient).
 */
const MATRIX: Record<RouteKey, Scenario[]> = {
  'GET /api/health': [{ setup: async () => ({}), expect: { anonymous: 200, owner: 200, admin: 200 } }],
  'POST /api/auth/register': [
    { setup: async () => ({ body: () => ({ username: `u_${randomUUID().slice(0, 8)}`, password: PASSWORD }) }), expect: { anonymous: 201 } },
  ],
  'POST /api/auth/login': [{ setup: async (w) => ({ body: () => ({ username: w.owner.username, password: PASSWORD }) }), expect: { anonymous: 200 } }],
  // Public: the mfaToken is the credential (the flow is in totp.e2e-spec.ts).
  'POST /api/auth/login/mfa': [{ setup: async () => ({ body: () => ({ mfaToken: 'unknown', code: '000000' }) }), expect: { anonymous: 401 } }],
  'POST /api/auth/refresh': [
    {
      label: 'with the refresh token in the body',
      setup: async (w) => {
        const session = await w.t.http.post('/api/auth/login').send({ username: w.owner.username, password: PASSWORD }).expect(200);
        return { body: () => ({ refreshToken: session.body.refreshToken }) };
      },
      expect: { anonymous: 200 },
    },
  ],
  'POST /api/auth/logout': [
    {
      setup: async (w) => ({ actors: { owner: await fresh(w) }, body: () => ({}) }),
      expect: { anonymous: 401, owner: 204 },
    },
  ],
  'PUT /api/users/me/password': [
    {
      setup: async (w) => ({ actors: { owner: await fresh(w) }, body: () => ({ currentPassword: PASSWORD, newPassword: `${PASSWORD}!` }) }),
      expect: { anonymous: 401, owner: 200 },
    },
  ],
  'GET /api/users/me': [{ setup: async () => ({}), expect: everyone(200) }],
  'PATCH /api/users/me': [{ setup: async () => ({ body: () => ({ statusMessage: 'here' }) }), expect: everyone(200) }],
  'DELETE /api/users/me': [
    {
      setup: async (w) => ({ actors: { owner: await fresh(w) }, body: () => ({ password: PASSWORD }) }),
      expect: { anonymous: 401, owner: 200 },
    },
  ],
  'GET /api/users/me/export': [{ setup: async () => ({}), expect: everyone(200) }],
  'PUT /api/users/me/avatar': [
    { setup: async () => ({ file: { content: await png(), filename: 'me.png', contentType: 'image/png' } }), expect: everyone(200) },
  ],
  'DELETE /api/users/me/avatar': [{ setup: async () => ({}), expect: everyone(200) }],
  // Self, friends (and conversation or request partners) and admins; a stranger learns nothing, not even that there is one.
  'GET /api/users/{id}/avatar': [
    {
      setup: async (w) => {
        await w.t.http.put('/api/users/me/avatar').set(bearer(w.owner.accessToken)).attach('file', await png(), 'me.png').expect(200);
        return { params: { id: w.owner.id } };
      },
      expect: { anonymous: 401, owner: 200, peer: 200, stranger: 404, admin: 200 },
    },
  ],
  'GET /api/users': [{ setup: async (w) => ({ query: { search: w.owner.username } }), expect: everyone(200) }],
  'GET /api/users/{id}': [
    { label: 'any account', setup: async (w) => ({ params: { id: w.owner.id } }), expect: everyone(200) },
    {
      label: 'an account that blocked the caller',
      setup: async (w) => {
        const blocker = await fresh(w);
        for (const who of [w.owner, w.peer, w.stranger, w.admin]) {
          await w.t.http.put(`/api/blocks/${who.id}`).set(bearer(blocker.accessToken)).expect(204);
        }
        return { params: { id: blocker.id } };
      },
      expect: { anonymous: 401, owner: 404, peer: 404, stranger: 404, admin: 404 },
    },
  ],
  'GET /api/friends': [{ setup: async () => ({}), expect: everyone(200) }],
  'DELETE /api/friends/{userId}': [
    {
      label: "the owner's friend",
      setup: async (w) => {
        const friend = await fresh(w);
        await befriend(w.t.http, w.owner, friend);
        return { params: { userId: friend.id } };
      },
      expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 204 },
    },
  ],
  'GET /api/friends/requests': [{ setup: async () => ({ query: { direction: 'incoming' } }), expect: everyone(200) }],
  'POST /api/friends/requests': [
    {
      setup: async (w) => {
        const target = await fresh(w);
        return { body: () => ({ userId: target.id }) };
      },
      expect: { anonymous: 401, stranger: 201, admin: 201, owner: 201 },
    },
  ],
  'POST /api/friends/requests/{id}/accept': [
    {
      setup: async (w) => {
        const recipient = await fresh(w);
        return { params: { id: await friendRequest(w, w.owner, recipient) }, actors: { peer: recipient } };
      },
      expect: { anonymous: 401, owner: 404, stranger: 404, admin: 404, peer: 200 },
    },
  ],
  'POST /api/friends/requests/{id}/decline': [
    {
      setup: async (w) => {
        const recipient = await fresh(w);
        return { params: { id: await friendRequest(w, w.owner, recipient) }, actors: { peer: recipient } };
      },
      expect: { anonymous: 401, owner: 404, stranger: 404, admin: 404, peer: 204 },
    },
  ],
  'DELETE /api/friends/requests/{id}': [
    {
      setup: async (w) => {
        const recipient = await fresh(w);
        return { params: { id: await friendRequest(w, w.owner, recipient) }, actors: { peer: recipient } };
      },
      expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 204 },
    },
  ],
  'GET /api/blocks': [{ setup: async () => ({}), expect: everyone(200) }],
  'PUT /api/blocks/{userId}': [{ setup: async (w) => ({ params: { userId: (await fresh(w)).id } }), expect: everyone(204) }],
  'DELETE /api/blocks/{userId}': [{ setup: async (w) => ({ params: { userId: (await fresh(w)).id } }), expect: everyone(204) }],
  'POST /api/conversations': [
    {
      label: "with the owner's friend (owner) or with the owner (others)",
      setup: async (w) => ({ body: (actor) => ({ userId: actor === 'owner' ? w.peer.id : w.owner.id }) }),
      expect: { anonymous: 401, stranger: 403, admin: 403, peer: 200, owner: 200 },
    },
  ],
  'GET /api/conversations': [{ setup: async () => ({}), expect: everyone(200) }],
  'GET /api/conversations/{id}': [{ setup: async (w) => ({ params: { id: w.conversationId } }), expect: members(200) }],
  'GET /api/conversations/{id}/notices': [{ setup: async (w) => ({ params: { id: w.conversationId } }), expect: members(200) }],
  'PATCH /api/conversations/{id}': [
    { setup: async (w) => ({ params: { id: w.conversationId }, body: () => ({ defaultExpiresInSeconds: null }) }), expect: members(200) },
  ],
  'GET /api/conversations/{id}/messages': [{ setup: async (w) => ({ params: { id: w.conversationId } }), expect: members(200) }],
  'POST /api/conversations/{id}/messages': [
    { setup: async (w) => ({ params: { id: w.conversationId }, body: () => ({ clientId: randomUUID(), body: 'hi' }) }), expect: members(201) },
  ],
  'POST /api/conversations/{id}/read': [
    {
      setup: async (w) => {
        const messageId = await sendMessage(w, w.owner);
        return { params: { id: w.conversationId }, body: () => ({ messageId }) };
      },
      expect: members(204),
    },
  ],
  'PATCH /api/messages/{id}': [
    {
      setup: async (w) => ({ params: { id: await sendMessage(w, w.owner) }, body: () => ({ body: 'edited' }) }),
      expect: { anonymous: 401, stranger: 404, admin: 404, peer: 403, owner: 200 },
    },
  ],
  'DELETE /api/messages/{id}': [
    {
      setup: async (w) => ({ params: { id: await sendMessage(w, w.owner) } }),
      expect: { anonymous: 401, stranger: 404, admin: 404, peer: 403, owner: 204 },
    },
  ],
  'GET /api/attachments/config': [{ setup: async () => ({}), expect: everyone(200) }],
  'POST /api/attachments': [
    {
      setup: async () => ({ file: { content: await png(), filename: 'a.png', contentType: 'image/png' } }),
      expect: everyone(201),
    },
  ],
  'POST /api/attachments/encrypted': [
    {
      setup: async () => ({ file: { content: randomBytes(512), filename: 'blob', contentType: 'application/octet-stream' } }),
      expect: everyone(201),
    },
  ],
  'GET /api/attachments/{id}': ATTACHMENT_READS,
  'GET /api/attachments/{id}/thumbnail': ATTACHMENT_READS,
  'GET /api/admin/users': [{ setup: async () => ({}), expect: adminOnly(200) }],
  'DELETE /api/admin/users/{id}': [
    {
      label: 'another account',
      setup: async (w) => ({ params: { id: (await fresh(w)).id } }),
      expect: adminOnly(200),
    },
    {
      label: 'the owner themselves (erasing yourself goes through /users/me)',
      setup: async (w) => {
        const victim = await fresh(w);
        return { params: { id: victim.id }, actors: { owner: victim } };
      },
      expect: { anonymous: 401, owner: 403 },
    },
  ],
  'GET /api/admin/audit': [{ setup: async () => ({}), expect: adminOnly(200) }],
  'GET /api/admin/jobs': [{ setup: async () => ({}), expect: adminOnly(200) }],
  'GET /api/e2ee/whoami': [{ setup: async () => ({}), expect: everyone(200) }],
  'POST /api/e2ee/keys/upload': [{ setup: async () => ({ body: () => ({}) }), expect: everyone(200) }],
  // Anyone may ask; who is not the owner's contact sees no devices (e2ee.e2e-spec.ts).
  'POST /api/e2ee/keys/query': [{ setup: async (w) => ({ body: () => ({ device_keys: { [`@${w.owner.id}:iris`]: [] } }) }), expect: everyone(200) }],
  'POST /api/e2ee/keys/claim': [{ setup: async () => ({ body: () => ({ one_time_keys: {} }) }), expect: everyone(200) }],
  'PUT /api/e2ee/sendToDevice/{eventType}/{txnId}': [
    {
      label: "to the owner's devices",
      setup: async (w) => ({
        params: { eventType: 'm.dummy', txnId: randomUUID() },
        body: () => ({ messages: { [`@${w.owner.id}:iris`]: { '*': { hello: true } } } }),
      }),
      expect: { anonymous: 401, stranger: 403, admin: 403, owner: 200, peer: 200 },
    },
  ],
  'GET /api/e2ee/sync': [{ setup: async () => ({}), expect: everyone(200) }],
  'PUT /api/conversations/{id}/mute': [{ setup: async (w) => ({ params: { id: w.conversationId }, body: () => ({ muted: true }) }), expect: members(200) }],
  'GET /api/push/vapid-public-key': [{ setup: async () => ({}), expect: everyone(200) }],
  'POST /api/push/subscriptions': [{ setup: async () => ({ body: () => pushSubscription() }), expect: everyone(201) }],
  // Only the owner's own subscription: anyone else hears that they have none with that endpoint.
  'DELETE /api/push/subscriptions': [
    {
      setup: async (w) => {
        const subscription = pushSubscription();
        await w.t.http.post('/api/push/subscriptions').set(bearer(w.owner.accessToken)).send(subscription).expect(201);
        return { body: () => ({ endpoint: subscription.endpoint }) };
      },
      expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 204 },
    },
  ],
  // Cross-signing keys are always the caller's own: an empty upload has no master key to go with.
  'POST /api/e2ee/keys/device_signing/upload': [{ setup: async () => ({ body: () => ({}) }), expect: everyone(400) }],
  'POST /api/e2ee/keys/signatures/upload': [{ setup: async () => ({ body: () => ({}) }), expect: everyone(200) }],
  // A backup is the caller's own: everyone else has none to read, fill or delete (404).
  // Fresh accounts, so the rows below still find the usual actors without a backup of their own.
  'POST /api/e2ee/room_keys/version': [
    {
      setup: async (w) => ({ body: () => BACKUP, actors: { owner: await fresh(w), peer: await fresh(w), stranger: await fresh(w) } }),
      expect: { anonymous: 401, owner: 200, peer: 200, stranger: 200 },
    },
  ],
  'GET /api/e2ee/room_keys/version': [{ setup: async (w) => (await ownerBackup(w), {}), expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 200 } }],
  'GET /api/e2ee/room_keys/version/{version}': [
    { setup: async (w) => ({ params: { version: await ownerBackup(w) } }), expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 200 } },
  ],
  'DELETE /api/e2ee/room_keys/version/{version}': [
    { setup: async (w) => ({ params: { version: await ownerBackup(w) } }), expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 200 } },
  ],
  'PUT /api/e2ee/room_keys/keys': [
    {
      setup: async (w) => ({ query: { version: await ownerBackup(w) }, body: () => ({ rooms: {} }) }),
      expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 200 },
    },
  ],
  'GET /api/e2ee/room_keys/keys': [
    { setup: async (w) => ({ query: { version: await ownerBackup(w) } }), expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 200 } },
  ],
  'GET /api/sessions': [{ setup: async () => ({}), expect: everyone(200) }],
  'GET /api/auth/2fa': [{ setup: async () => ({}), expect: everyone(200) }],
  'POST /api/auth/2fa/totp/setup': [{ setup: async () => ({}), expect: everyone(200) }],
  // Everyone signed in may try; a made-up code is refused (the flow itself is in totp.e2e-spec.ts).
  'POST /api/auth/2fa/totp/enable': [
    {
      setup: async (w) => {
        for (const actor of [w.owner, w.peer, w.stranger, w.admin]) await w.t.http.post('/api/auth/2fa/totp/setup').set(bearer(actor.accessToken)).expect(200);
        return { body: () => ({ code: '000000' }) };
      },
      expect: { anonymous: 401, owner: 400, peer: 400, stranger: 400, admin: 400 },
    },
  ],
  'DELETE /api/auth/2fa/totp': [
    { setup: async () => ({ body: () => ({ password: PASSWORD, code: '000000' }) }), expect: { anonymous: 401, owner: 409, peer: 409, stranger: 409, admin: 409 } },
  ],
  'GET /api/auth/passkeys': [{ setup: async () => ({}), expect: everyone(200) }],
  'POST /api/auth/passkeys/registration/options': [{ setup: async () => ({}), expect: everyone(200) }],
  // Everyone signed in may try; an answer to a challenge the server never made is refused (the flow is in passkeys.e2e-spec.ts).
  'POST /api/auth/passkeys': [
    {
      setup: async () => ({ body: () => ({ name: 'Key', credential: new SoftAuthenticator().create(MADE_UP_CREATION).credential }) }),
      expect: { anonymous: 401, owner: 400, peer: 400, stranger: 400, admin: 400 },
    },
  ],
  // Only the owner's own passkey: anyone else hears that there is none with that id.
  'PATCH /api/auth/passkeys/{id}': [{ setup: async (w) => ({ params: { id: await ownerPasskey(w) }, body: () => ({ name: 'Renamed' }) }), expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 200 } }],
  'DELETE /api/auth/passkeys/{id}': [
    { setup: async (w) => ({ params: { id: await ownerPasskey(w) }, body: () => ({ password: PASSWORD }) }), expect: { anonymous: 401, peer: 404, stranger: 404, admin: 404, owner: 204 } },
  ],
  // Public: the passkey's answer (or the mfaToken) is the credential.
  'POST /api/auth/passkeys/login/options': [{ setup: async () => ({}), expect: { anonymous: 200 } }],
  'POST /api/auth/passkeys/login': [{ setup: async () => ({ body: () => ({ credential: madeUpAssertion() }) }), expect: { anonymous: 401 } }],
  'POST /api/auth/passkeys/mfa/options': [{ setup: async () => ({ body: () => ({ mfaToken: 'unknown' }) }), expect: { anonymous: 401 } }],
  'POST /api/auth/passkeys/mfa': [{ setup: async () => ({ body: () => ({ mfaToken: 'unknown', credential: madeUpAssertion() }) }), expect: { anonymous: 401 } }],
  // Each actor has only the session it acts with, which stays.
  'POST /api/sessions/revoke-others': [{ setup: async () => ({}), expect: everyone(200) }],
  'DELETE /api/sessions/{id}': [
    {
      label: "another session of the owner's",
      setup: async (w) => {
        const signIn = await w.t.http.post('/api/auth/login').send({ username: w.owner.username, password: PASSWORD }).expect(200);
        const list = await w.t.http.get('/api/sessions').set(bearer(signIn.body.accessToken)).expect(200);
        return { params: { id: (list.body.items as { id: string; current: boolean }[]).find((item) => item.current)!.id } };
      },
      expect: { anonymous: 401, stranger: 404, admin: 404, peer: 404, owner: 204 },
    },
  ],
};

/** Who may send each Socket.IO client event about the owner–peer conversation: the ack's `code`, or 'ok'. */
const SOCKET_MATRIX: Record<string, Partial<Record<Actor, 'ok' | string>>> = {
  typing: { owner: 'ok', peer: 'ok', stranger: 'CONVERSATION_NOT_FOUND', admin: 'CONVERSATION_NOT_FOUND', anonymous: 'UNAUTHORIZED' },
  'message.send': { owner: 'ok', peer: 'ok', stranger: 'CONVERSATION_NOT_FOUND', admin: 'CONVERSATION_NOT_FOUND', anonymous: 'UNAUTHORIZED' },
};

/** A valid payload of each client event about that conversation. */
const socketPayload = (event: string, conversationId: string): object =>
  event === 'message.send' ? { conversationId, clientId: randomUUID(), body: 'over the socket' } : { conversationId };

const ID_ROUTE = /\{[^}]+\}/;
const caseCount = Object.values(MATRIX).flat().reduce((sum, scenario) => sum + Object.keys(scenario.expect).length, 0);
const socketCaseCount = Object.values(SOCKET_MATRIX).reduce((sum, row) => sum + Object.keys(row).length, 0);

describe(`authorization matrix (e2e): ${caseCount} HTTP cases, ${socketCaseCount} socket cases`, () => {
  let world: World;
  let uploadDir: string;
  // Every answer of the matrix (every operation, every actor) is also checked against openapi.json.
  const contract = new OpenApiContract();

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-authz-'));
    const t = await createTestApp({ UPLOAD_DIR: uploadDir }, { contract });
    const [owner, peer, stranger, admin] = [await register(t.http), await register(t.http), await register(t.http), await register(t.http)];
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    await befriend(t.http, owner, peer);
    world = { t, owner, peer, stranger, admin, conversationId: await openConversation(t.http, owner, peer) };
    console.log(`authz matrix: ${caseCount + socketCaseCount} cases`);
  });
  afterEach(() => closeSockets());
  afterAll(async () => {
    await world.t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  it('covers every route the app serves, with all five actors on every route that takes an id', () => {
    const routes = nestRoutes(world.t.app).map((r) => r.key);
    expect(Object.keys(MATRIX).sort()).toEqual(routes);
    for (const [route, scenarios] of Object.entries(MATRIX)) {
      if (!ID_ROUTE.test(route)) continue;
      const actors = new Set(scenarios.flatMap((s) => Object.keys(s.expect)));
      expect({ route, actors: [...actors].sort() }).toEqual({ route, actors: [...ACTORS].sort() });
    }
  });

  it('covers every Socket.IO event clients may send, with all five actors', () => {
    expect(Object.keys(SOCKET_MATRIX).sort()).toEqual(socketEvents(world.t.app));
    for (const [event, row] of Object.entries(SOCKET_MATRIX)) expect({ event, actors: Object.keys(row).sort() }).toEqual({ event, actors: [...ACTORS].sort() });
  });

  const rows = Object.entries(MATRIX).flatMap(([route, scenarios]) => scenarios.map((scenario) => [route, scenario] as const));
  it.each(rows.map(([route, scenario]) => [`${route}${scenario.label ? ` (${scenario.label})` : ''}`, route, scenario] as const))(
    '%s',
    async (_name, route, scenario) => {
      const w = world;
      const fixture = await scenario.setup(w);
      const [method, path] = route.split(' ') as [string, string];
      const url = fillPath(path, fixture.params ?? {});
      const got: Partial<Record<Actor, number>> = {};
      const bodies: Partial<Record<Actor, unknown>> = {};
      for (const actor of Object.keys(scenario.expect) as Actor[]) {
        const who = actor === 'anonymous' ? undefined : (fixture.actors?.[actor] ?? w[actor]);
        let req: Test = w.t.http[method.toLowerCase() as 'get'](url);
        if (fixture.query) req = req.query(fixture.query);
        if (who) req = req.set(bearer(who.accessToken));
        if (fixture.file) req = req.attach('file', fixture.file.content, { filename: fixture.file.filename, contentType: fixture.file.contentType });
        else if (fixture.body) req = req.send(fixture.body(actor) ?? {});
        const res = await req;
        got[actor] = res.status;
        if (res.status >= 400) {
          bodies[actor] = res.body;
          expect(res.body).toMatchObject({ statusCode: res.status, code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) });
        }
      }
      expect({ route, got }).toEqual({ route, got: scenario.expect });
    },
  );

  it.each(Object.entries(SOCKET_MATRIX))('socket event %s', async (event, row) => {
    const w = world;
    for (const [actor, expected] of Object.entries(row) as [Actor, string][]) {
      if (actor === 'anonymous') {
        expect((await refusal(w.t, { auth: {} })).data?.code).toBe(expected);
        continue;
      }
      const socket = await connect(w.t, w[actor].accessToken);
      const ack = await socket.emitWithAck<{ ok: boolean; code?: string }>(event, socketPayload(event, w.conversationId));
      expect({ actor, result: ack.ok ? 'ok' : ack.code }).toEqual({ actor, result: expected });
      socket.close();
    }
  });

  // Last, once every row above has run.
  it('got only answers that openapi.json documents, on every operation it lists', () => {
    const operations = contract.operations();
    const exercised = new Set([...contract.seen.keys()].map((key) => key.split(' ').slice(0, 2).join(' ')));
    console.log(`openapi contract: ${contract.checked} exchanges on ${exercised.size} of ${operations.length} operations checked, ${contract.violations.length} violations`);
    expect(contract.violations).toEqual([]);
    expect(operations.filter((operation) => !exercised.has(operation))).toEqual([]);
  });
});
