import { trustNoticesStoreName } from './device-store';

/** A line in a conversation's history about its contact's identity, kept on this device only. */
export interface TrustNotice {
  /** The verification's flow id, or `changed:<user>:<new master key>`: recording one twice keeps one. */
  id: string;
  /** The contact's user id (not the Matrix one). */
  peerId: string;
  kind: 'verified' | 'identity-changed';
  /** ISO time it happened on this device. */
  at: string;
}

const STORE = 'notices';

/**
 * This device's trust notices in IndexedDB: who was verified, whose identity changed, and when (no
 * message content). One database per device: signing out deletes it with the device's keys.
 */
export class TrustNoticesDb {
  private constructor(private readonly db: IDBDatabase) {}

  static open(deviceId: string, idb: IDBFactory): Promise<TrustNoticesDb> {
    return new Promise((resolve, reject) => {
      const request = idb.open(trustNoticesStoreName(deviceId), 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' });
      request.onsuccess = () => resolve(new TrustNoticesDb(request.result));
      request.onerror = () => reject(request.error);
    });
  }

  async all(): Promise<TrustNotice[]> {
    const notices = await this.run<TrustNotice[]>('readonly', (store) => store.getAll());
    return notices.sort((a, b) => a.at.localeCompare(b.at));
  }

  async put(notice: TrustNotice): Promise<void> {
    await this.run('readwrite', (store) => store.put(notice));
  }

  close(): void {
    this.db.close();
  }

  private run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      const transaction = this.db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result as T);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  }
}
