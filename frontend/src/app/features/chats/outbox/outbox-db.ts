import type { EncryptedContentDto } from '../../../../sdk/models/encrypted-content-dto';

/** Why the server (or this client, before sending) refused a message: its code and a sentence for the user. */
export interface Refusal {
  code: string;
  reason: string;
}

/**
 * A message that has not reached the server yet, as kept in the browser: the text of a plaintext
 * conversation, or only the ciphertext of an encrypted one (never its plaintext).
 */
export interface OutboxEntry {
  clientId: string;
  conversationId: string;
  senderId: string;
  /** The order it was written in: entries go out in this order. */
  queuedAt: number;
  createdAt: string;
  body: string | null;
  ciphertext: EncryptedContentDto | null;
  attachmentIds: string[];
  expiresInSeconds: number | null;
  expiryMode: 'afterSend' | 'afterRead' | null;
  kind: 'message' | 'reaction';
  relatesTo: string | null;
  /** Set when it was refused for good: it waits for the user (retry, edit or discard). */
  refusal: Refusal | null;
}

const STORE = 'entries';

export const outboxDatabaseName = (userId: string) => `iris-outbox-${userId}`;

/** The signed-in user's outbox in IndexedDB: one database per user, one record per unsent message. */
export class OutboxDb {
  private constructor(private readonly db: IDBDatabase) {}

  static open(userId: string, idb: IDBFactory = indexedDB): Promise<OutboxDb> {
    return new Promise((resolve, reject) => {
      const request = idb.open(outboxDatabaseName(userId), 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'clientId' });
      request.onsuccess = () => resolve(new OutboxDb(request.result));
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('The outbox is being upgraded in another tab'));
    });
  }

  static delete(userId: string, idb: IDBFactory = indexedDB): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = idb.deleteDatabase(outboxDatabaseName(userId));
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      // Another tab still has it open: it is deleted as soon as that tab lets go.
      request.onblocked = () => resolve();
    });
  }

  /** Every entry, oldest first. */
  async all(): Promise<OutboxEntry[]> {
    const entries = await this.run<OutboxEntry[]>('readonly', (store) => store.getAll());
    return entries.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  async put(entry: OutboxEntry): Promise<void> {
    await this.run('readwrite', (store) => store.put(entry));
  }

  async delete(clientId: string): Promise<void> {
    await this.run('readwrite', (store) => store.delete(clientId));
  }

  close(): void {
    this.db.close();
  }

  /** One request in its own transaction, resolved once the transaction committed. */
  private run<T>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest): Promise<T> {
    return new Promise((resolve, reject) => {
      const transaction = this.db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result as T);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error ?? new Error('The outbox transaction was aborted'));
    });
  }
}
