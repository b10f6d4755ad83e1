import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';
import { JobsModule } from '../jobs/jobs.module.js';
import { RealtimeModule } from '../realtime/realtime.module.js';
import { UsersModule } from '../users/users.module.js';
import { AccessTokenGuard } from './access-token.guard.js';
import { AdminTwoFactorGuard } from './admin-two-factor.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthRealtime } from './auth.realtime.js';
import { AuthService } from './auth.service.js';
import { SessionLifecycleService } from './session-lifecycle.service.js';
import { PasskeysController } from './passkeys/passkeys.controller.js';
import { PasskeysRepository } from './passkeys/passkeys.repository.js';
import { PasskeysService } from './passkeys/passkeys.service.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';
import { TotpController } from './totp.controller.js';
import { TotpRepository } from './totp.repository.js';
import { TotpService } from './totp.service.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SessionCleanupJob } from './session-cleanup.job.js';

@Module({
  imports: [
    UsersModule,
    JobsModule,
    RealtimeModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // A KeyObject made once: given a string, jsonwebtoken first tries (and fails) to parse it as a
        // public key on every verify, which cost more CPU than the rest of the request's auth.
        secret: createSecretKey(Buffer.from(config.JWT_SECRET)),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  controllers: [AuthController, SessionsController, TotpController, PasskeysController],
  providers: [AdminTwoFactorGuard, AuthService, SessionLifecycleService, PasskeysService, PasskeysRepository, SessionsService, LoginThrottle, TotpService, TotpRepository, SessionsRepository, AuthRealtime, PasswordHasher, SessionCleanupJob, { provide: APP_GUARD, useClass: AccessTokenGuard }],
  exports: [AuthService, SessionLifecycleService, PasskeysService, SessionsService, TotpService, AdminTwoFactorGuard, PasswordHasher],
})
export class AuthModule {}
