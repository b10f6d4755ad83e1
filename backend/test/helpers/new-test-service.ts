import 'reflect-metadata';
import { jest } from '@jest/globals';
import type { Tx } from '../../src/database/transaction.js';

type AnyClass<T = unknown> = abstract new (...args: never[]) => T;

/** Every method of `T` as a jest mock with the same signature. */
export type Mocked<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? jest.Mock<(...args: A) => R> : T[K];
};

/** A stand-in for `type` whose methods are all jest mocks answering undefined until told otherwise. */
export function automock<T>(type: AnyClass<T>): Mocked<T> {
  const mock: Record<string, unknown> = {};
  for (let proto = type.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key in mock || typeof Object.getOwnPropertyDescriptor(proto, key)?.value !== 'function') continue;
      mock[key] = jest.fn();
    }
  }
  return mock as Mocked<T>;
}

/**
 * The service under test as `sut`, built with every constructor dependency (its repositories, the
 * services it calls) mocked, except those `given` (a clock, a fake realtime); `mock(Type)` hands out
 * the mock that was injected for `Type`.
 */
export function newTestService<S>(Service: new (...args: never[]) => S, given: [AnyClass, unknown][] = []) {
  const types: AnyClass[] = Reflect.getMetadata('design:paramtypes', Service) ?? [];
  const overrides = new Map(given);
  const deps = types.map((type) => (overrides.has(type) ? overrides.get(type) : automock(type)));
  return {
    sut: new Service(...(deps as never[])),
    mock<T>(type: AnyClass<T>): Mocked<T> {
      const index = types.indexOf(type);
      if (index < 0) throw new Error(`${Service.name} does not take a ${type.name}`);
      return deps[index] as Mocked<T>;
    },
  };
}

/** Transactions for unit specs: runs the work with one fake handle and records whether it rolled back. */
export function fakeTransactions() {
  const tx = { fakeTransaction: true } as unknown as Tx;
  const state = { rolledBack: false };
  const run = jest.fn(async <T>(work: (handle: Tx) => Promise<T>): Promise<T> => {
    try {
      return await work(tx);
    } catch (error) {
      state.rolledBack = true;
      throw error;
    }
  });
  return { run, tx, state };
}
