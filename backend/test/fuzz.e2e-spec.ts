import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response, Test } from 'supertest';
import { befriend, openConversation } from './helpers/friends.js';
import { openApiDocument, type OpenApiOperation, openApiOperations, type SchemaObject } from './helpers/routes.js';
import { createTestApp, type TestApp } from './helpers/test-app.js';
import { bearer, register, type Registered } from './helpers/users.js';

/**
 * Property-based requests built from the committed OpenAPI document: for every operation, bodies,
 * query strings and path ids that are well-formed, wrongly typed, missing fields, carrying extra ones,
 * huge, full of unicode edge cases, path traversal and SQL/NoSQL-looking text. The API must answer each
 * with a non-5xx status and, for errors, the documented ApiErrorDto; the database must stay consistent.
 * FUZZ_RUNS (runs per operation) and FUZZ_SEED make a longer or a different run: `npm run fuzz`.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);

const document = openApiDocument();

const HOSTILE_STRINGS = [
  '',
  ' ',
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  '1; SELECT pg_sleep(5)',
  '" OR ""="',
  '%',
  '_',
  '\\',
  '../../../../etc/passwd',
  '..%2f..%2f..%2fetc%2fpasswd',
  '..\\..\\windows\\win.ini',
  '/dev/zero',
  '{"$gt":""}',
  '$where',
  '<script>alert(1)</script>',
  '${7*7}{{7*7}}',
  '\u202Egnp.exe',
  '\u200B\u200C\u200D\uFEFF',
  'e\u0301\u0301\u0301',
  '\uD800',
  '\uDFFF\uD800',
  '𝕴𝖗𝖎𝖘 👩‍👩‍👧‍👦',
  'ǅ ß İ ı',
  '\r\n\t\u0085\u2028\u2029',
  'NaN',
  '-1',
  '1e309',
  'null',
  'true',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(5_000, 70_000).map((n) => 'x'.repeat(n)),
);

const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({ $gt: '' }),
  fc.constant({ $ne: null }),
  fc.array(fc.oneof(fc.integer(), hostileString), { maxLength: 3 }),
  fc.constant(Array.from({ length: 50 }, () => randomUUID())),
);

function resolve(schema: SchemaObject | undefined): SchemaObject {
  if (!schema) return {};
  if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').pop()!]);
  if (schema.allOf?.length === 1) return { ...resolve(schema.allOf[0]), ...schema, allOf: undefined };
  return schema;
}

/** A value that fits the schema, mostly (what a careless but honest client would send). */
function valid(schema: SchemaObject | undefined, ids: fc.Arbitrary<string>, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.oneOf || s.anyOf) return fc.oneof(...(s.oneOf ?? s.anyOf ?? []).map((item) => valid(item, ids, depth + 1)));
  // OpenAPI 3.1's nullable values: `type: ['string', 'null']`.
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((type) => (type === 'null' ? fc.constant(null) : valid({ ...s, type }, ids, depth))));
  switch (s.type) {
    case 'string':
      if (s.format === 'uuid') return ids;
      if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 64, 64) });
    case 'integer':
      return fc.integer({ min: s.minimum ?? -10, max: Math.min(s.maximum ?? 10_000, 10_000_000) });
    case 'number':
      return fc.double({ min: s.minimum ?? -10, max: s.maximum ?? 10_000, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(valid(s.items, ids, depth + 1), { maxLength: 3 });
    case 'object':
    default: {
      if (depth > 3 || !s.properties) return fc.constant({});
      const entries = Object.entries(s.properties).map(([key, value]) => [key, valid(value, ids, depth + 1)] as const);
      return fc.record(Object.fromEntries(entries), { requiredKeys: (s.required ?? []).filter((key) => key in s.properties!) });
    }
  }
}

/** A body: valid, then mutated (a field of the wrong type or hostile, a required one missing, an extra one). */
function body(schema: SchemaObject | undefined, ids: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  const fields = Object.keys(s.properties ?? {});
  const base = valid(schema, ids) as fc.Arbitrary<Record<string, unknown>>;
  if (fields.length === 0) return fc.oneof(base, anyJson, fc.dictionary(hostileString, anyJson, { maxKeys: 3 }));
  return fc.oneof(
    base,
    fc.tuple(base, fc.constantFrom(...fields), anyJson).map(([value, field, junk]) => ({ ...value, [field]: junk })),
    fc.tuple(base, fc.constantFrom(...fields)).map(([value, field]) => {
      const { [field]: _dropped, ...rest } = value;
      return rest;
    }),
    fc.tuple(base, fc.constantFrom('role', 'id', 'senderId', '__proto__', 'constructor', 'isAdmin', '$where'), anyJson).map(
      ([value, field, junk]) => JSON.parse(JSON.stringify({ ...value, [field]: junk })) as unknown,
    ),
    anyJson,
  );
}

type Query = Record<string, string>;

function query(operation: OpenApiOperation, ids: fc.Arbitrary<string>): fc.Arbitrary<Query> {
  const params = (operation.operation.parameters ?? []).filter((p) => p.in === 'query');
  const value = (schema: SchemaObject) =>
    fc.oneof(valid(schema, ids).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))), hostileString.map((s) => s.slice(0, 2000)));
  const known = fc.record(Object.fromEntries(params.map((p) => [p.name, value(p.schema)])), { requiredKeys: [] }) as fc.Arbitrary<Query>;
  return fc.oneof(known, fc.tuple(known, fc.constantFrom('admin', 'debug', 'userId', '__proto__'), hostileString).map(([q, k, v]) => ({ ...q, [k]: v.slice(0, 200) })));
}

/** Percent-encodes the UTF-8 of a path segment (lone surrogates become U+FFFD, as in any real client). */
const encodeSegment = (value: string) =>
  [...Buffer.from(value, 'utf8')].map((byte) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** Segments sent as they are: malformed percent-encoding and encoded traversal. */
const RAW_SEGMENTS = ['%zz', '%E0%A4%A', '%C0%AF', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%00', '%ED%A0%80', ';', '..'];

const ERROR_SHAPE = {
  statusCode: expect.any(Number),
  error: expect.any(String),
  message: expect.any(String),
  code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/),
  requestId: expect.any(String),
};

describe('OpenAPI-driven fuzzing (e2e)', () => {
  let t: TestApp;
  let uploadDir: string;
  let owner: Registered;
  let admin: Registered;
  let knownIds: string[];
  const statuses = new Map<number, number>();
  let requests = 0;

  beforeAll(async () => {
    uploadDir = await mkdtemp(join(tmpdir(), 'iris-fuzz-'));
    t = await createTestApp({ UPLOAD_DIR: uploadDir });
    owner = await register(t.http);
    const peer = await register(t.http);
    admin = await register(t.http);
    await t.db.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [admin.id]);
    await befriend(t.http, owner, peer);
    const conversationId = await openConversation(t.http, owner, peer);
    const message = await t.http
      .post(`/api/conversations/${conversationId}/messages`)
      .set(bearer(owner.accessToken))
      .send({ clientId: randomUUID(), body: 'seed' })
      .expect(201);
    const stranger = await register(t.http);
    const request = await t.http.post('/api/friends/requests').set(bearer(stranger.accessToken)).send({ userId: owner.id }).expect(201);
    knownIds = [owner.id, peer.id, stranger.id, conversationId, message.body.id, request.body.request.id];
  });
  afterAll(async () => {
    console.log(`fuzz: ${requests} requests (${RUNS} runs per operation, seed ${SEED}); statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    await t.close();
    await rm(uploadDir, { recursive: true, force: true });
  });

  const ids = () => fc.oneof(fc.constantFrom(...knownIds), fc.uuid(), hostileString.map((s) => s.slice(0, 300)));

  /** The logout route would end the fuzzing session and the admin routes need an admin to reach their code. */
  const callerFor = (op: OpenApiOperation) => (op.path === '/api/auth/logout' ? undefined : op.path.startsWith('/api/admin/') ? admin : owner);

  async function call(op: OpenApiOperation, path: string, q: Query, payload: unknown, multipart: boolean): Promise<Response> {
    const caller = callerFor(op);
    let req: Test = t.http[op.method.toLowerCase() as 'get'](path).query(q);
    if (caller) req = req.set(bearer(caller.accessToken));
    if (multipart) {
      const content = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(JSON.stringify(payload ?? null));
      req = req.attach('file', content, { filename: typeof payload === 'string' ? payload.slice(0, 200) || 'f' : 'f.bin', contentType: 'application/octet-stream' });
    } else if (op.method !== 'GET' && payload !== undefined) {
      req = req.set('Content-Type', 'application/json').send(JSON.stringify(payload));
    }
    return req;
  }

  it.each(openApiOperations().map((op) => [op.key, op] as const))('%s', async (_key, op) => {
    const schema = op.operation.requestBody?.content['application/json']?.schema;
    const multipart = Boolean(op.operation.requestBody?.content['multipart/form-data']);
    const pathParams = (op.operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
    const segment = fc.oneof({ arbitrary: ids().map(encodeSegment), weight: 5 }, { arbitrary: fc.constantFrom(...RAW_SEGMENTS), weight: 1 });
    const pathArb = fc
      .tuple(...pathParams.map(() => segment))
      .map((values) => pathParams.reduce((path, name, i) => path.replace(`{${name}}`, values[i]!), op.path));
    await fc.assert(
      fc.asyncProperty(pathArb, query(op, ids()), fc.option(body(schema, ids()), { nil: undefined, freq: 8 }), async (path, q, payload) => {
        const res = await call(op, path, q, payload, multipart);
        requests++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect({ request: `${op.method} ${path}`, status: res.status < 500 ? 'below 500' : res.status, body: res.status < 500 ? null : res.body }).toEqual({
          request: `${op.method} ${path}`,
          status: 'below 500',
          body: null,
        });
        if (res.status >= 400) {
          expect(res.headers['content-type']).toMatch(/^application\/json/);
          expect(res.body).toMatchObject({ ...ERROR_SHAPE, statusCode: res.status });
          if (res.body.details !== undefined) expect(res.body.details).toEqual(expect.any(Array));
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
  });

  it('leaves the database consistent', async () => {
    const violations: Record<string, string> = {
      'a conversation with other than its two users as members': `
        SELECT c.id FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id
         WHERE m.user_id IS DISTINCT FROM c.user_a_id AND m.user_id IS DISTINCT FROM c.user_b_id`,
      'a conversation with more than two members': `
        SELECT conversation_id FROM conversation_members GROUP BY conversation_id HAVING count(*) > 2`,
      'a message numbered beyond its conversation counter': `
        SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.seq > c.last_seq`,
      'a read marker beyond its conversation counter': `
        SELECT m.conversation_id FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id WHERE m.last_read_seq > c.last_seq`,
      'a message from someone outside its conversation': `
        SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.sender_id IS DISTINCT FROM c.user_a_id AND m.sender_id IS DISTINCT FROM c.user_b_id`,
      'a live message without text or attachment': `
        SELECT m.id FROM messages m WHERE m.deleted_at IS NULL AND (m.body IS NULL OR m.body = '')
           AND NOT EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id)`,
      'a deleted message that kept its text or files': `
        SELECT m.id FROM messages m WHERE m.deleted_at IS NOT NULL
           AND (m.body IS NOT NULL OR EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id))`,
      'a message longer than 4,000 characters': `SELECT id FROM messages WHERE char_length(body) > 4000`,
      "an attachment on someone else's message": `
        SELECT a.id FROM attachments a JOIN messages m ON m.id = a.message_id WHERE a.uploader_id <> m.sender_id`,
      'a one-sided friendship': `
        SELECT f.user_id FROM friendships f WHERE NOT EXISTS (SELECT 1 FROM friendships g WHERE g.user_id = f.friend_id AND g.friend_id = f.user_id)`,
      'a friendship across a block': `
        SELECT f.user_id FROM friendships f JOIN blocks b ON b.blocker_id = f.user_id AND b.blocked_id = f.friend_id`,
      'a friendship or request with oneself': `
        SELECT user_id FROM friendships WHERE user_id = friend_id UNION ALL SELECT from_user_id FROM friend_requests WHERE from_user_id = to_user_id`,
      'a username outside the rules': `SELECT id FROM users WHERE username !~ '^[a-z0-9_.]{3,32}$'`,
    };
    const found: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(violations)) {
      const rows: unknown[] = await t.db.query(sql);
      if (rows.length > 0) found[name] = rows;
    }
    expect(found).toEqual({});
    // The fuzzing user can still work: no request above broke their account or conversation.
    await t.http.get('/api/conversations').set(bearer(owner.accessToken)).expect(200);
  });
});
