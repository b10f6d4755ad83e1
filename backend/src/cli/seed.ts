import { ConflictException, HttpException, type INestApplicationContext, NotFoundException } from '@nestjs/common';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { AttachmentsService } from '../attachments/attachments.service.js';
import { PasswordHasher } from '../auth/password-hasher.js';
import { AppConfig } from '../config/app-config.js';
import { ConversationsService } from '../conversations/conversations.service.js';
import { FriendsService } from '../friends/friends.service.js';
import { asProcess, MessagesService } from '../messages/messages.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { CliError, createCliContext, errorMessage, isMainModule, loadCliConfig, runCli } from './cli-context.js';
import { SeedDevice } from './seed-device.js';

export const DEFAULT_SEED_PASSWORD = 'iris-demo-password';

export const SEED_USERS = [
  { username: 'alice', displayName: 'Alice' },
  { username: 'bob', displayName: 'Bob' },
  { username: 'charlie', displayName: 'Charlie' },
  { username: 'dana', displayName: 'Dana' },
] as const;

type SeedUsername = (typeof SEED_USERS)[number]['username'];

interface Line {
  /** Fixed, so that running the seed again finds the message instead of sending it twice. */
  clientId: string;
  from: SeedUsername;
  body: string;
  timer?: { seconds: number; mode: 'afterSend' | 'afterRead' };
  image?: { name: string };
}

const HISTORY: { between: [SeedUsername, SeedUsername]; lines: Line[] }[] = [
  {
    between: ['alice', 'bob'],
    lines: [
      { clientId: '5eed0000-0000-4000-8000-000000000101', from: 'alice', body: 'Hi Bob! Are we still on for the climbing gym on Saturday?' },
      { clientId: '5eed0000-0000-4000-8000-000000000102', from: 'bob', body: "Hey Alice, yes! 10 o'clock works for me." },
      { clientId: '5eed0000-0000-4000-8000-000000000103', from: 'alice', body: "Great. Charlie might come along too, I'll ask." },
      { clientId: '5eed0000-0000-4000-8000-000000000104', from: 'bob', body: 'The more the merrier. Shall I bring the spare harness?' },
      { clientId: '5eed0000-0000-4000-8000-000000000105', from: 'alice', body: 'Please do, mine is still at the repair shop.' },
      {
        clientId: '5eed0000-0000-4000-8000-000000000106',
        from: 'alice',
        body: 'Sunset from the ferry yesterday',
        image: { name: 'ferry-sunset.jpg' },
      },
      { clientId: '5eed0000-0000-4000-8000-000000000107', from: 'bob', body: 'Wow, gorgeous! We should take that ferry together some time.' },
      {
        clientId: '5eed0000-0000-4000-8000-000000000108',
        from: 'alice',
        body: 'The door code for the gym is 4711. This message disappears 5 minutes after sending.',
        timer: { seconds: 300, mode: 'afterSend' },
      },
      { clientId: '5eed0000-0000-4000-8000-000000000109', from: 'bob', body: 'Got it, thanks! See you on Saturday 👋' },
    ],
  },
  {
    between: ['bob', 'charlie'],
    lines: [
      { clientId: '5eed0000-0000-4000-8000-000000000201', from: 'charlie', body: 'Bob, did you finish the book I lent you?' },
      { clientId: '5eed0000-0000-4000-8000-000000000202', from: 'bob', body: 'Almost, two chapters to go. No spoilers, please!' },
      { clientId: '5eed0000-0000-4000-8000-000000000203', from: 'charlie', body: 'My lips are sealed. The ending is worth it, though.' },
      { clientId: '5eed0000-0000-4000-8000-000000000204', from: 'bob', body: "I'll bring it back next week." },
      { clientId: '5eed0000-0000-4000-8000-000000000205', from: 'charlie', body: 'No rush, enjoy it!' },
    ],
  },
];

/**
 * End-to-end encrypted: written by devices the seed signs in and out again, so no device can read it;
 * a browser that signs in later continues the conversation (DESIGN.md §9: no key backup yet).
 */
const ENCRYPTED_HISTORY: { between: [SeedUsername, SeedUsername]; lines: { clientId: string; from: SeedUsername; body: string }[] } = {
  between: ['alice', 'dana'],
  lines: [
    { clientId: '5eed0000-0000-4000-8000-000000000301', from: 'dana', body: 'Alice, this chat is end-to-end encrypted: only our devices can read it.' },
    { clientId: '5eed0000-0000-4000-8000-000000000302', from: 'alice', body: 'Nice! So not even the server knows that I still owe you 20 euros?' },
    { clientId: '5eed0000-0000-4000-8000-000000000303', from: 'dana', body: 'Not even the server. Pay me back on Friday 😉' },
    { clientId: '5eed0000-0000-4000-8000-000000000304', from: 'alice', body: 'Deal. Friday at the market, 6 pm?' },
  ],
};

const FRIENDS: [SeedUsername, SeedUsername][] = [
  ['alice', 'bob'],
  ['bob', 'charlie'],
  ['alice', 'dana'],
];
const PENDING_REQUEST: [SeedUsername, SeedUsername] = ['charlie', 'alice'];

export interface SeedOptions {
  /** Seed even when NODE_ENV=production. */
  force?: boolean;
  /** The password of the demo users; default `iris-demo-password`. */
  password?: string;
}

/** What this run added; a second run adds nothing. */
export interface SeedResult {
  password: string;
  /** Demo users that existed before this run (their password was left alone). */
  existingUsers: string[];
  created: {
    users: number;
    friendships: number;
    friendRequests: number;
    conversations: number;
    messages: number;
    encryptedMessages: number;
    attachments: number;
  };
}

/**
 * Adds the demo data through the services, so every rule of the API applies. Idempotent: users,
 * friendships and requests that exist are skipped, and messages have fixed clientIds, which makes
 * sending them again a no-op (the image is uploaded only while its message does not exist yet). The
 * encrypted messages are written by devices signed in for them and signed out after, only while some
 * are missing.
 */
export async function seed(app: INestApplicationContext, options: SeedOptions = {}): Promise<SeedResult> {
  if (app.get(AppConfig).isProduction && !options.force) {
    throw new CliError('Refusing to seed demo users with a known password into a production instance (NODE_ENV=production); add --force to do it anyway');
  }
  const password = options.password ?? DEFAULT_SEED_PASSWORD;
  if (password.length < 8 || password.length > 128) throw new CliError('SEED_PASSWORD must be 8–128 characters long');

  const users = app.get(UsersService);
  const hasher = app.get(PasswordHasher);
  const friends = app.get(FriendsService);
  const conversations = app.get(ConversationsService);
  const messages = app.get(MessagesService);
  const attachments = app.get(AttachmentsService);
  const result: SeedResult = {
    password,
    existingUsers: [],
    created: { users: 0, friendships: 0, friendRequests: 0, conversations: 0, messages: 0, encryptedMessages: 0, attachments: 0 },
  };

  const people = {} as Record<SeedUsername, User>;
  for (const { username, displayName } of SEED_USERS) {
    const existing = await users.findByUsername(username);
    if (existing) result.existingUsers.push(username);
    people[username] = existing ?? (await users.create({ username, displayName, passwordHash: await hasher.hash(password) }));
    if (!existing) result.created.users++;
  }

  for (const [a, b] of FRIENDS) {
    await step(`Could not make ${a} and ${b} friends`, async () => {
      if ((await friends.relationship(people[a].id, people[b].id)).friends) return;
      // Asking back accepts, as in the app; a request left pending by an interrupted run is simply answered.
      if (!(await hasRequest(friends, people[a], people[b]))) await friends.sendRequest(people[a].id, people[b].id);
      if (!(await friends.relationship(people[a].id, people[b].id)).friends) await friends.sendRequest(people[b].id, people[a].id);
      result.created.friendships++;
    });
  }

  const [from, to] = PENDING_REQUEST;
  await step(`Could not send the friend request of ${from} to ${to}`, async () => {
    const { friends: already } = await friends.relationship(people[from].id, people[to].id);
    if (already || (await hasRequest(friends, people[from], people[to])) || (await hasRequest(friends, people[to], people[from]))) return;
    await friends.sendRequest(people[from].id, people[to].id);
    result.created.friendRequests++;
  });

  for (const { between, lines } of HISTORY) {
    const [a, b] = between;
    await step(`Could not write the conversation of ${a} and ${b}`, async () => {
      // Plaintext ("not encrypted" in the client), as conversations were before encryption was the default.
      const { conversation, created } = await conversations.getOrCreate(people[a].id, people[b].id, { encrypted: false });
      if (created) result.created.conversations++;
      // Encrypted since (a client turned it on): plaintext history cannot be added any more.
      if (conversation.encrypted) return;
      // Written before (all or part of it): the history is not touched again. A timed line that has
      // expired and been swept would otherwise be sent anew, after the replies that followed it.
      const seeded = await Promise.all(lines.map((line) => findMessage(messages, people[line.from], line.clientId)));
      const resume = seeded.some(Boolean) ? Math.max(...seeded.map((found, index) => (found ? index + 1 : 0))) : 0;
      for (const line of lines.slice(resume)) {
        const sender = people[line.from];
        if (line.image && (await findMessage(messages, sender, line.clientId))) continue;
        const attachmentIds = line.image ? [await uploadSeedImage(attachments, sender, line.image.name)] : undefined;
        const sent = await messages
          .send(asProcess(sender.id), conversation.id, {
            clientId: line.clientId,
            body: line.body,
            attachmentIds,
            expiresInSeconds: line.timer?.seconds ?? null,
            expiryMode: line.timer?.mode,
          })
          // CLIENT_ID_CONFLICT: the message exists but was edited, deleted or has expired since; it stays as it is.
          .catch(ignore(ConflictException));
        if (sent?.created) result.created.messages++;
        if (sent?.created && attachmentIds) result.created.attachments++;
      }
      // Each member has read up to their own last reply, so the other's later messages show as unread.
      for (const member of between) {
        const last = lines.filter((line) => line.from === member).at(-1);
        const message = last && (await findMessage(messages, people[member], last.clientId));
        // A timed message that has expired since can no longer be read; the marker moved past it before.
        if (message) await messages.markRead(people[member].id, conversation.id, message.id).catch(ignore(NotFoundException));
      }
    });
  }

  const [first, second] = ENCRYPTED_HISTORY.between;
  await step(`Could not write the encrypted conversation of ${first} and ${second}`, async () => {
    const { conversation, created } = await conversations.getOrCreate(people[first].id, people[second].id, { encrypted: true });
    if (created) result.created.conversations++;
    const { lines } = ENCRYPTED_HISTORY;
    // As for the plaintext history: resumed after the last line found, never written twice.
    const seeded = await Promise.all(lines.map((line) => findMessage(messages, people[line.from], line.clientId)));
    const resume = seeded.some(Boolean) ? Math.max(...seeded.map((found, index) => (found ? index + 1 : 0))) : 0;
    if (resume === lines.length) return;
    const memberIds = [people[first].id, people[second].id];
    const devices = new Map<SeedUsername, SeedDevice>();
    try {
      for (const member of ENCRYPTED_HISTORY.between) devices.set(member, await SeedDevice.signIn(app, people[member].id));
      for (const line of lines.slice(resume)) {
        const device = devices.get(line.from)!;
        const ciphertext = await device.encrypt(conversation.id, memberIds, { type: 'text', body: line.body });
        const sent = await messages.send(device.claims, conversation.id, { clientId: line.clientId, ciphertext }).catch(ignore(ConflictException));
        if (sent?.created) result.created.encryptedMessages++;
      }
    } finally {
      // Signed out even when a step failed, so that no peer keeps sharing keys with them.
      for (const device of devices.values()) await device.signOut();
    }
    for (const member of ENCRYPTED_HISTORY.between) {
      const last = lines.filter((line) => line.from === member).at(-1);
      const message = last && (await findMessage(messages, people[member], last.clientId));
      if (message) await messages.markRead(people[member].id, conversation.id, message.id).catch(ignore(NotFoundException));
    }
  });
  return result;
}

/** Runs one part of the seed, naming it in the error when the API's rules refuse it (a block, say). */
async function step(what: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof HttpException) throw new CliError(`${what}: ${errorMessage(error)}`);
    throw error;
  }
}

/** A rejection handler that swallows one kind of error (resolving to undefined) and rethrows the rest. */
function ignore(kind: new (...args: never[]) => Error): (error: unknown) => undefined {
  return (error) => {
    if (error instanceof kind) return undefined;
    throw error;
  };
}

function hasRequest(friends: FriendsService, from: User, to: User): Promise<boolean> {
  return friends.hasPendingRequest(from.id, to.id);
}

async function findMessage(messages: MessagesService, sender: User, clientId: string): Promise<{ id: string } | undefined> {
  return (await messages.findByClientId(sender.id, clientId)) ?? undefined;
}

/** A small sunset-coloured JPEG, made on the fly and stored as an upload of `owner`. */
async function uploadSeedImage(attachments: AttachmentsService, owner: User, name: string): Promise<string> {
  const width = 640;
  const height = 400;
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const t = y / (height - 1);
    const row = t < 0.6 ? [250 - 60 * t, 120 + 60 * t, 80 + 120 * t] : [30 + 20 * t, 60 + 40 * t, 120 + 60 * t];
    for (let x = 0; x < width; x++) pixels.set(row.map(Math.round), (y * width + x) * 3);
  }
  const dir = await mkdtemp(join(tmpdir(), 'iris-seed-'));
  try {
    const path = join(dir, name);
    await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toFile(path);
    return (await attachments.uploadFile(owner.id, path, { name, mimeType: 'image/jpeg' })).id;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { force: { type: 'boolean', default: false } } });
  const config = loadCliConfig();
  const app = await createCliContext(config);
  let result: SeedResult;
  try {
    result = await seed(app, { force: values.force, password: process.env.SEED_PASSWORD || undefined });
  } finally {
    await app.close();
  }
  const { created } = result;
  const counts = [
    [created.users, 'user'],
    [created.friendships, 'friendship'],
    [created.friendRequests, 'pending friend request'],
    [created.conversations, 'conversation'],
    [created.messages, 'message'],
    [created.encryptedMessages, 'encrypted message'],
    [created.attachments, 'image'],
  ] as const;
  const added = counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`);
  console.log(added.length > 0 ? `Seeded: ${added.join(', ')}.` : 'Nothing to add: the demo data is already there.');
  const usernames = SEED_USERS.map((user) => user.username).join(', ');
  console.log(`Sign in at http://localhost:${config.PORT} as ${usernames} with the password: ${result.password}`);
  if (result.existingUsers.length > 0) {
    console.log(`(${result.existingUsers.join(', ')} already existed; their passwords were left as they were.)`);
  }
}

if (isMainModule(import.meta.url)) runCli(main);
