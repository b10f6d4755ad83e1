import { askPrimary, tellPrimary } from '../common/primary-channel.js';
import { type PresenceChanges, PresenceStore } from './presence-store.js';

/**
 * Presence for the workers of one instance without Redis: the primary holds every worker's sockets,
 * so a friend on another worker sees the user online, and forgets a worker's sockets when it dies
 * (the next upkeep of a live worker then tells their friends they went offline).
 */
export class PrimaryPresenceStore extends PresenceStore {
  connect(userId: string, socketId: string): Promise<boolean> {
    return askPrimary('presence.connect', userId, socketId);
  }

  disconnect(userId: string, socketId: string): Promise<boolean> {
    return askPrimary('presence.disconnect', userId, socketId);
  }

  async online(userIds: string[]): Promise<Set<string>> {
    if (userIds.length === 0) return new Set();
    return new Set(await askPrimary('presence.online', userIds));
  }

  async maintain(): Promise<PresenceChanges> {
    return { online: [], offline: await askPrimary('presence.maintain') };
  }

  async close(): Promise<void> {
    tellPrimary('presence.close');
  }
}
