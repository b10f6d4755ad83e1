import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';

declare const opaque: unique symbol;

/**
 * An open transaction, as services hand it from one repository call to the next when one unit of
 * work spans modules. Only repositories look inside (`managerOf`).
 */
export interface Tx {
  readonly [opaque]: true;
}

export const managerOf = (tx: Tx): EntityManager => tx as unknown as EntityManager;

/** The manager to run on: the transaction's when inside one (PGlite has a single connection), else the pool's. */
export const managerFor = (dataSource: DataSource, tx?: Tx): EntityManager => (tx ? managerOf(tx) : dataSource.manager);

@Injectable()
export class Transactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(manager as unknown as Tx));
  }
}
