import { createHmac, randomUUID } from 'node:crypto';
import { befriend, openConversation } from './helpers/friends.js';
import { closeSockets, connect, refusal } from './helpers/sockets.js';
import { createTestApp, TEST_JWT_SECRET, type TestApp } from './helpers/test-app.js';
import { bearer, PASSWORD, register, type Registered } from './helpers/users.js';

const base64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const hmac = (hash: 'sha256' | 'sha384' | 'sha512', data: string, secret = TEST_JWT_SECRET) =>
  createHmac(hash, secret).update(data).digest('base64url');

function sign(payload: object, { alg = 'HS256', secret = TEST_JWT_SECRET, header = {} as object } = {}): string {
  const unsigned = `${base64url({ alg, typ: 'JWT', ...header })}.${base64url(payload)}`;
  const hash = alg === 'HS384' ? 'sha384' : alg === 'HS512' ? 'sha512' : 'sha256';
  return `${unsigned}.${hmac(hash, unsigned, secret)}`;
}

const claims = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

/** The session a forged token names, where it names one in a shape the server reads; else the victim's. */
function sessionNamedBy(token: string, victim: Registered): string {
  try {
    const { sid } = claims(token);
    if (typeof sid === 'string' && /^[0-9a-f-]{36}$/.test(sid)) return sid;
  } catch {
    // Not a JWT at all.
  }
  return claims(victim.accessToken).sid as string;
}

/** A fresh account, its token, and a way to turn that token into the attack. */
interface Attack {
  name: string;
  /** What the API answers in `code` (REST) and in the handshake's `data.code` (socket). */
  code: 'INVALID_TOKEN' | 'TOKEN_EXPIRED' | 'SESSION_REVOKED';
  forge(t: TestApp, victim: Registered): Promise<string> | string;
}

const nowSeconds = (t: TestApp) => Math.floor(t.clock.now().getTime() / 1000);

const ATTACKS: Attack[] = [
  {
    name: 'alg none, no signature',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => `${base64url({ alg: 'none', typ: 'JWT' })}.${v.accessToken.split('.')[1]}.`,
  },
  {
    name: 'alg none, the original signature kept',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => {
      const [, payload, signature] = v.accessToken.split('.');
      return `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`;
    },
  },
  ...['None', 'NONE', 'nOnE'].map(
    (alg): Attack => ({
      name: `alg "${alg}" with a forged subject`,
      code: 'INVALID_TOKEN',
      forge: (_t, v) => `${base64url({ alg, typ: 'JWT' })}.${base64url({ ...claims(v.accessToken), role: 'admin' })}.`,
    }),
  ),
  {
    name: 'alg HS512 signed with the real secret (algorithm not allowed)',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => sign(claims(v.accessToken), { alg: 'HS512' }),
  },
  {
    name: 'alg HS384 signed with the real secret (algorithm not allowed)',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => sign(claims(v.accessToken), { alg: 'HS384' }),
  },
  {
    name: 'alg RS256 carrying an HMAC signature (key confusion)',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => {
      const unsigned = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${v.accessToken.split('.')[1]}`;
      return `${unsigned}.${hmac('sha256', unsigned)}`;
    },
  },
  {
    name: 'a tampered signature',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => {
      const [header, payload, signature] = v.accessToken.split('.');
      const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
      return `${header}.${payload}.${flipped}`;
    },
  },
  {
    name: 'a tampered payload under the original signature',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => {
      const [header, , signature] = v.accessToken.split('.');
      return `${header}.${base64url({ ...claims(v.accessToken), sub: randomUUID() })}.${signature}`;
    },
  },
  {
    name: 'signed with another secret',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => sign(claims(v.accessToken), { secret: 'another-secret-of-sufficient-length-0123456789' }),
  },
  {
    name: 'a stripped signature',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => v.accessToken.split('.').slice(0, 2).join('.') + '.',
  },
  {
    name: 'expired',
    code: 'TOKEN_EXPIRED',
    forge: (t, v) => sign({ ...claims(v.accessToken), iat: nowSeconds(t) - 1000, exp: nowSeconds(t) - 100 }),
  },
  {
    name: 'not valid before a time in the future (nbf)',
    code: 'INVALID_TOKEN',
    forge: (t, v) => sign({ ...claims(v.accessToken), nbf: nowSeconds(t) + 600 }),
  },
  {
    name: 'issued in the future (iat)',
    code: 'INVALID_TOKEN',
    forge: (t, v) => sign({ ...claims(v.accessToken), iat: nowSeconds(t) + 3600, exp: nowSeconds(t) + 4500 }),
  },
  {
    name: 'without an expiry (exp)',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => {
      const { exp: _exp, ...rest } = claims(v.accessToken);
      return sign(rest);
    },
  },
  {
    name: 'without an issue time (iat)',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => {
      const { iat: _iat, ...rest } = claims(v.accessToken);
      return sign(rest);
    },
  },
  {
    name: 'a refresh token used as an access token',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => v.refreshToken,
  },
  {
    name: 'a signed token of type refresh',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => sign({ ...claims(v.accessToken), typ: 'refresh' }),
  },
  {
    name: 'a signed token without a type',
    code: 'INVALID_TOKEN',
    forge: (_t, v) => {
      const { typ: _typ, ...rest } = claims(v.accessToken);
      return sign(rest);
    },
  },
  {
    name: "a signed token pairing the user with another user's session",
    code: 'SESSION_REVOKED',
    forge: async (t, v) => {
      const other = await register(t.http);
      return sign({ ...claims(v.accessToken), sid: claims(other.accessToken).sid });
    },
  },
  {
    name: 'a signed token with an older token version',
    code: 'SESSION_REVOKED',
    forge: (_t, v) => sign({ ...claims(v.accessToken), ver: -1 }),
  },
  {
    name: 'the token of an erased user',
    code: 'SESSION_REVOKED',
    forge: async (t, v) => {
      await t.http.delete('/api/users/me').set(bearer(v.accessToken)).send({ password: PASSWORD }).expect(200);
      return v.accessToken;
    },
  },
  {
    name: 'a token issued before a password change',
    code: 'SESSION_REVOKED',
    forge: async (t, v) => {
      await t.http
        .put('/api/users/me/password')
        .set(bearer(v.accessToken))
        .send({ currentPassword: PASSWORD, newPassword: `${PASSWORD} 2` })
        .expect(200);
      return v.accessToken;
    },
  },
  {
    name: 'a token of a session that logged out',
    code: 'SESSION_REVOKED',
    forge: async (t, v) => {
      await t.http.post('/api/auth/logout').set(bearer(v.accessToken)).send({}).expect(204);
      return v.accessToken;
    },
  },
];

describe('token attacks (e2e)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
    console.log(`token attacks: ${ATTACKS.length} forged tokens × REST, a send, a sync, a key share and the socket handshake = ${ATTACKS.length * 5} cases`);
  });
  afterEach(() => closeSockets());
  afterAll(() => t.close());

  it('lets the genuine token through on both (the attacks start from a working token)', async () => {
    const victim = await register(t.http);
    await t.http.get('/api/users/me').set(bearer(victim.accessToken)).expect(200);
    (await connect(t, victim.accessToken)).close();
  });

  describe.each(ATTACKS)('$name', ({ code, forge }) => {
    it(`answers 401 ${code} on REST with the standard error shape`, async () => {
      const token = await forge(t, await register(t.http));
      const res = await t.http.get('/api/users/me').set(bearer(token));
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', code, message: expect.any(String), requestId: expect.any(String) },
      });
    });

    // The send route checks the session inside its own statement (@SessionCheckedByHandler), not in the guard.
    it(`answers 401 ${code} on a send, and stores nothing`, async () => {
      const [victim, friend] = [await register(t.http), await register(t.http)];
      await befriend(t.http, victim, friend);
      const conversationId = await openConversation(t.http, victim, friend);
      const token = await forge(t, victim);
      const res = await t.http
        .post(`/api/conversations/${conversationId}/messages`)
        .set(bearer(token))
        .send({ clientId: randomUUID(), body: 'sent with a forged or dead token' });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', code, message: expect.any(String), requestId: expect.any(String) },
      });
      const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1', [conversationId]);
      expect(n).toBe(0);
    });

    // So do the E2EE sync and key share (@SessionCheckedByHandler): a forged or dead token must not hand out the queue of the session it names.
    it(`answers 401 ${code} on a sync, and hands out nothing`, async () => {
      const [victim, sender] = [await register(t.http), await register(t.http)];
      const token = await forge(t, victim);
      const sessionId = sessionNamedBy(token, victim);
      await t.db.query(
        `INSERT INTO e2ee_to_device_messages (recipient_session_id, sender_user_id, event_type, content, created_at)
         SELECT id, $2, 'm.dummy', '{}', now() FROM sessions WHERE id = $1`,
        [sessionId, sender.id],
      );
      const res = await t.http.get('/api/e2ee/sync').set(bearer(token));
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', code, message: expect.any(String), requestId: expect.any(String) },
      });
      const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM e2ee_to_device_messages WHERE recipient_session_id = $1 AND batch IS NOT NULL', [sessionId]);
      expect(n).toBe(0);
    });

    it(`answers 401 ${code} on a key share, and queues nothing`, async () => {
      const victim = await register(t.http);
      const token = await forge(t, victim);
      const txnId = randomUUID();
      const res = await t.http
        .put(`/api/e2ee/sendToDevice/m.room.encrypted/${txnId}`)
        .set(bearer(token))
        .send({ messages: { [`@${victim.id}:iris`]: { '*': { sent: 'with a forged or dead token' } } } });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 401,
        body: { statusCode: 401, error: 'Unauthorized', code, message: expect.any(String), requestId: expect.any(String) },
      });
      const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM e2ee_to_device_txns WHERE txn_id = $1', [txnId]);
      expect(n).toBe(0);
    });

    it(`refuses the socket handshake with ${code}`, async () => {
      const token = await forge(t, await register(t.http));
      expect((await refusal(t, { auth: { token } })).data).toEqual({ code, message: expect.any(String) });
    });
  });
});
