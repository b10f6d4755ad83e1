import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { baseOptions, openDataSource } from './data-source.js';

@Module({})
export class DatabaseModule {
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => baseOptions(databaseUrl),
          dataSourceFactory: () => openDataSource(databaseUrl),
        }),
      ],
    };
  }
}
