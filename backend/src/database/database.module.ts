import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { baseOptions, type Entities, isEmbeddedUrl, openDataSource } from './data-source.js';
import { DatabaseHealth } from './database-health.js';
import { Transactions } from './transaction.js';

@Module({})
export class DatabaseModule {
  static forRoot(databaseUrl: string, entities: Entities): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            ...baseOptions(databaseUrl, entities),
            // A PostgreSQL server may still be starting (compose, restarts); an embedded database either opens or never will.
            retryAttempts: 10,
            retryDelay: 3000,
            toRetry: () => !isEmbeddedUrl(databaseUrl),
          }),
          dataSourceFactory: () => openDataSource(databaseUrl, { entities }),
        }),
      ],
      providers: [Transactions, DatabaseHealth],
      exports: [Transactions, DatabaseHealth],
    };
  }
}
