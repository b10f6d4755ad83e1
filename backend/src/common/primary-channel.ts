import { isClusterWorker } from './workers.js';

/** The state a primary keeps for all of its workers, by operation (see cluster/shared-state.ts). */
export interface SharedOps {
  'rate.hit': { args: [key: string, windowMs: number, now: number]; result: { count: number; resetAt: number } };
  'rate.peek': { args: [key: string, now: number]; result: { count: number; resetAt: number } | null };
  'rate.reset': { args: [key: string]; result: null };
  'presence.connect': { args: [userId: string, socketId: string]; result: boolean };
  'presence.disconnect': { args: [userId: string, socketId: string]; result: boolean };
  'presence.online': { args: [userIds: string[]]; result: string[] };
  'presence.maintain': { args: []; result: string[] };
  'presence.close': { args: []; result: null };
  'sockets.count': { args: [address: string]; result: number };
  'sockets.opened': { args: [address: string]; result: null };
  'sockets.closed': { args: [address: string]; result: null };
}
export type SharedOp = keyof SharedOps;

export const SHARED_REQUEST = 'iris:shared';
export const SHARED_ANSWER = 'iris:shared:answer';

export interface SharedRequest<K extends SharedOp = SharedOp> {
  type: typeof SHARED_REQUEST;
  /** Absent when no answer is wanted. */
  id?: number;
  op: K;
  args: SharedOps[K]['args'];
}

export interface SharedAnswer {
  type: typeof SHARED_ANSWER;
  id: number;
  result?: unknown;
  error?: string;
}

/** The primary answers from memory at once; this only catches a primary that stopped answering. */
const ANSWER_TIMEOUT_MS = 5_000;

const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
let lastId = 0;
let listening = false;

function listen(): void {
  if (listening) return;
  listening = true;
  process.on('message', (message: Partial<SharedAnswer>) => {
    if (message?.type !== SHARED_ANSWER || message.id === undefined) return;
    const call = waiting.get(message.id);
    if (!call) return;
    waiting.delete(message.id);
    clearTimeout(call.timer);
    if (message.error !== undefined) call.reject(new Error(message.error));
    else call.resolve(message.result);
  });
}

/** Asks the primary, which holds what every worker of this instance must see alike (limits, presence). */
export function askPrimary<K extends SharedOp>(op: K, ...args: SharedOps[K]['args']): Promise<SharedOps[K]['result']> {
  if (!isClusterWorker()) return Promise.reject(new Error('Not a worker: there is no primary to ask'));
  listen();
  const id = ++lastId;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`The primary did not answer ${op} within ${ANSWER_TIMEOUT_MS} ms`));
    }, ANSWER_TIMEOUT_MS);
    timer.unref();
    waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
    process.send!({ type: SHARED_REQUEST, id, op, args } satisfies SharedRequest<K>, undefined, undefined, (error: Error | null) => {
      if (!error) return;
      waiting.delete(id);
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Tells the primary something that needs no answer. */
export function tellPrimary<K extends SharedOp>(op: K, ...args: SharedOps[K]['args']): void {
  if (!isClusterWorker()) return;
  process.send!({ type: SHARED_REQUEST, op, args } satisfies SharedRequest<K>, undefined, undefined, () => undefined);
}
