import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { AdminModule } from './admin/admin.module.js';
import { AttachmentsModule } from './attachments/attachments.module.js';
import { AuthModule } from './auth/auth.module.js';
import { AllExceptionsFilter } from './common/all-exceptions.filter.js';
import { CommonModule } from './common/common.module.js';
import { AppConfig } from './config/app-config.js';
import { runsScheduledJobs } from './common/workers.js';
import { ConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { E2eeModule } from './e2ee/e2ee.module.js';
import { entities } from './entities.js';
import { ConversationsModule } from './conversations/conversations.module.js';
import { FriendsModule } from './friends/friends.module.js';
import { HealthModule } from './health/health.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { PrivacyModule } from './privacy/privacy.module.js';
import { PushModule } from './push/push.module.js';
import { RealtimeModule } from './realtime/realtime.module.js';
import { UsersModule } from './users/users.module.js';
import { AvatarsModule } from './avatars/avatars.module.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        CommonModule,
        // Of several workers, one runs the @Cron jobs.
        ScheduleModule.forRoot(runsScheduledJobs() ? {} : { cronJobs: false, intervals: false, timeouts: false }),
        DatabaseModule.forRoot(config.databaseUrl, entities),
        HealthModule,
        UsersModule,
        AvatarsModule,
        AuthModule,
        FriendsModule,
        ConversationsModule,
        AttachmentsModule,
        MessagesModule,
        PrivacyModule,
        AdminModule,
        E2eeModule,
        PushModule,
        RealtimeModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: AllExceptionsFilter }],
    };
  }
}
