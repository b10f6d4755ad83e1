import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { type PresenceChanges, PresenceStore } from './presence-store.js';
import { closeRedisClient, onReconnected } from './redis-client.js';

/** An instance that has not renewed its heartbeat for this long counts as dead and its sockets as gone. */
export const INSTANCE_TTL_MS = 30_000;

// A user's sockets are a set of "<instance id>/<socket id>"; only members whose instance key still
// exists count, so a crashed instance stops counting when its heartbeat key expires.
const ALIVE = `
local function alive(key, instancePrefix)
  local n = 0
  for _, member in ipairs(redis.call('SMEMBERS', key)) do
    local instance = string.match(member, '^([^/]+)/')
    if instance and redis.call('EXISTS', instancePrefix .. instance) == 1 then n = n + 1 end
  end
  return n
end
local function mine(member, instance)
  return string.sub(member, 1, #instance + 1) == instance .. '/'
end
`;

// KEYS: user set, instance's user set. ARGV: member, user id, instance key prefix.
const CONNECT = `${ALIVE}
local before = alive(KEYS[1], ARGV[3])
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
if before == 0 and alive(KEYS[1], ARGV[3]) > 0 then return 1 end
return 0`;

// KEYS: user set, instance's user set. ARGV: member, user id, instance key prefix, instance id.
const DISCONNECT = `${ALIVE}
local before = alive(KEYS[1], ARGV[3])
redis.call('SREM', KEYS[1], ARGV[1])
local keep = false
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if mine(member, ARGV[4]) then keep = true break end
end
if not keep then redis.call('SREM', KEYS[2], ARGV[2]) end
if before > 0 and alive(KEYS[1], ARGV[3]) == 0 then return 1 end
return 0`;

// KEYS: user sets. ARGV: instance key prefix. Returns 1/0 per key.
const ONLINE = `${ALIVE}
local result = {}
for i, key in ipairs(KEYS) do
  if alive(key, ARGV[1]) > 0 then result[i] = 1 else result[i] = 0 end
end
return result`;

// KEYS: instance key, set of instances. ARGV: ttl ms, instance id. Returns 1 if the key still existed.
const HEARTBEAT = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return existed`;

// Makes this instance's entries exactly its open sockets (after Redis lost writes or data).
// KEYS: instance's user set. ARGV: instance key prefix, user key prefix, instance id, then user id/member pairs.
// Returns {users now online, users now offline}.
const RESYNC = `${ALIVE}
local current = {}
for i = 4, #ARGV, 2 do
  current[ARGV[i]] = current[ARGV[i]] or {}
  table.insert(current[ARGV[i]], ARGV[i + 1])
end
local users = {}
for _, user in ipairs(redis.call('SMEMBERS', KEYS[1])) do users[user] = true end
for user in pairs(current) do users[user] = true end
local online, offline = {}, {}
for user in pairs(users) do
  local key = ARGV[2] .. user
  local before = alive(key, ARGV[1])
  for _, member in ipairs(redis.call('SMEMBERS', key)) do
    if mine(member, ARGV[3]) then redis.call('SREM', key, member) end
  end
  if current[user] then
    for _, member in ipairs(current[user]) do redis.call('SADD', key, member) end
    redis.call('SADD', KEYS[1], user)
  else
    redis.call('SREM', KEYS[1], user)
  end
  local after = alive(key, ARGV[1])
  if before == 0 and after > 0 then table.insert(online, user) end
  if before > 0 and after == 0 then table.insert(offline, user) end
end
return {online, offline}`;

// Forgets the sockets of instances whose heartbeat expired. Atomic, so instances reaping at once never
// report a user twice. KEYS: set of instances. ARGV: instance key prefix, instance-users prefix,
// user key prefix, own instance id. Returns the users left with no socket.
const REAP = `${ALIVE}
local offline = {}
for _, instance in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if instance ~= ARGV[4] and redis.call('EXISTS', ARGV[1] .. instance) == 0 then
    local usersKey = ARGV[2] .. instance
    for _, user in ipairs(redis.call('SMEMBERS', usersKey)) do
      local key = ARGV[3] .. user
      for _, member in ipairs(redis.call('SMEMBERS', key)) do
        if mine(member, instance) then redis.call('SREM', key, member) end
      end
      if alive(key, ARGV[1]) == 0 then table.insert(offline, user) end
    end
    redis.call('DEL', usersKey)
    redis.call('SREM', KEYS[1], instance)
  end
end
return offline`;

/**
 * Presence shared by every instance through Redis. Each instance renews a heartbeat key (`maintain`,
 * every few seconds); sockets of an instance whose key expired stop counting at once, and the next
 * `maintain` of any instance removes them and reports those users offline. Never throws: while Redis is
 * unreachable it reports nobody online, and it rewrites its own entries once Redis is back.
 */
export class RedisPresenceStore extends PresenceStore {
  readonly instanceId = randomUUID();
  private readonly logger = new Logger(RedisPresenceStore.name);
  /** This instance's open sockets: socket id → user id. */
  private readonly local = new Map<string, string>();
  /** Redis may not match `local` (a write failed, or this is the first heartbeat). */
  private dirty = true;
  private failing = false;
  private readonly keys: { instance: string; instances: string; user: string; instanceUsers: string };

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly ttlMs = INSTANCE_TTL_MS,
  ) {
    super();
    const base = `${prefix}presence:`;
    this.keys = { instance: `${base}instance:`, instances: `${base}instances`, user: `${base}user:`, instanceUsers: `${base}instance-users:` };
  }

  connect(userId: string, socketId: string): Promise<boolean> {
    this.local.set(socketId, userId);
    return this.attemptUnlessDown(
      async () =>
        (await this.redis.eval(CONNECT, 2, this.keys.user + userId, this.instanceUsersKey, this.member(socketId), userId, this.keys.instance)) === 1,
      false,
    );
  }

  disconnect(userId: string, socketId: string): Promise<boolean> {
    this.local.delete(socketId);
    return this.attemptUnlessDown(
      async () =>
        (await this.redis.eval(
          DISCONNECT,
          2,
          this.keys.user + userId,
          this.instanceUsersKey,
          this.member(socketId),
          userId,
          this.keys.instance,
          this.instanceId,
        )) === 1,
      false,
    );
  }

  async online(userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    return this.attemptUnlessDown(async () => {
      const flags = (await this.redis.eval(ONLINE, userIds.length, ...userIds.map((id) => this.keys.user + id), this.keys.instance)) as number[];
      return new Set(userIds.filter((_, i) => flags[i] === 1));
    }, new Set<string>());
  }

  maintain(): Promise<PresenceChanges> {
    return this.attempt(
      async () => {
        const existed = await this.redis.eval(HEARTBEAT, 2, this.keys.instance + this.instanceId, this.keys.instances, this.ttlMs, this.instanceId);
        const changes: PresenceChanges = { online: [], offline: [] };
        if (existed !== 1 || this.dirty) {
          const { online, offline } = await this.resync();
          changes.online.push(...online);
          changes.offline.push(...offline);
        }
        const reaped = (await this.redis.eval(
          REAP,
          1,
          this.keys.instances,
          this.keys.instance,
          this.keys.instanceUsers,
          this.keys.user,
          this.instanceId,
        )) as string[];
        changes.offline.push(...reaped);
        return changes;
      },
      { online: [], offline: [] },
    );
  }

  override onRestored(listener: () => void): void {
    onReconnected([this.redis], listener);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    this.local.clear();
    await this.attemptUnlessDown(async () => {
      await this.resync();
      await this.redis.multi().del(this.keys.instance + this.instanceId, this.instanceUsersKey).srem(this.keys.instances, this.instanceId).exec();
    }, undefined);
    await closeRedisClient(this.redis);
  }

  private async resync(): Promise<PresenceChanges> {
    // Cleared before the call, so a write that fails meanwhile marks it dirty again.
    this.dirty = false;
    const pairs = [...this.local].flatMap(([socketId, userId]) => [userId, this.member(socketId)]);
    const [online, offline] = (await this.redis.eval(
      RESYNC,
      1,
      this.instanceUsersKey,
      this.keys.instance,
      this.keys.user,
      this.instanceId,
      ...pairs,
    )) as [string[], string[]];
    return { online, offline };
  }

  private get instanceUsersKey(): string {
    return this.keys.instanceUsers + this.instanceId;
  }

  private member(socketId: string): string {
    return `${this.instanceId}/${socketId}`;
  }

  /** While Redis is known to be down, fails at once instead of waiting for a reconnection attempt; `maintain` keeps probing. */
  private attemptUnlessDown<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    if (this.failing && this.redis.status !== 'ready') {
      this.dirty = true;
      return Promise.resolve(fallback);
    }
    return this.attempt(work, fallback);
  }

  private async attempt<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    try {
      const result = await work();
      if (this.failing) this.logger.log('Presence is recorded in Redis again');
      this.failing = false;
      return result;
    } catch (error) {
      this.dirty = true;
      if (!this.failing) this.logger.warn(`Presence could not be recorded in Redis (${(error as Error).message}); retrying`);
      this.failing = true;
      return fallback;
    }
  }
}
