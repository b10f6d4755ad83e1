import { jest } from '@jest/globals';

/** A DataSource.transaction stand-in for unit specs: runs the work with `manager` and records a rollback. */
export function fakeTransaction<Manager>(manager: Manager) {
  const state = { rolledBack: false };
  const transaction = jest.fn(async (work: (m: Manager) => Promise<unknown>) => {
    try {
      return await work(manager);
    } catch (error) {
      state.rolledBack = true;
      throw error;
    }
  });
  return { transaction, state };
}
