/** Users whose presence changed through upkeep rather than through one of this instance's sockets. */
export interface PresenceChanges {
  online: string[];
  offline: string[];
}

/**
 * Who has at least one open socket, on any instance. The gateway records each socket here and tells
 * friends when a user's first socket opens or their last one closes.
 */
export abstract class PresenceStore {
  /** Records a socket; true when the user had no socket before (they just came online). */
  abstract connect(userId: string, socketId: string): Promise<boolean>;

  /** Forgets a socket; true when it was the user's last one (they just went offline). */
  abstract disconnect(userId: string, socketId: string): Promise<boolean>;

  /** Those of `userIds` who are online. */
  abstract online(userIds: string[]): Promise<Set<string>>;

  /** Periodic upkeep (heartbeat, forgetting instances that died); returns whose presence it changed. */
  abstract maintain(): Promise<PresenceChanges>;

  /** Forgets this instance's sockets and releases connections; call after its sockets are closed. */
  abstract close(): Promise<void>;

  /** Registers what to run when the store's backend is reachable again after an outage. */
  onRestored(_listener: () => void): void {}
}

/** Presence for a single instance, in its memory. */
export class MemoryPresenceStore extends PresenceStore {
  private readonly sockets = new Map<string, Set<string>>();

  async connect(userId: string, socketId: string): Promise<boolean> {
    const mine = this.sockets.get(userId);
    if (mine) {
      mine.add(socketId);
      return false;
    }
    this.sockets.set(userId, new Set([socketId]));
    return true;
  }

  async disconnect(userId: string, socketId: string): Promise<boolean> {
    const mine = this.sockets.get(userId);
    if (!mine?.delete(socketId)) return false;
    if (mine.size > 0) return false;
    this.sockets.delete(userId);
    return true;
  }

  async online(userIds: string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.sockets.has(id)));
  }

  async maintain(): Promise<PresenceChanges> {
    return { online: [], offline: [] };
  }

  async close(): Promise<void> {
    this.sockets.clear();
  }
}
