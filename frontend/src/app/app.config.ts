import { provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  type ApplicationConfig,
  inject,
  isDevMode,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideRouter, TitleStrategy, withComponentInputBinding } from '@angular/router';
import { provideServiceWorker } from '@angular/service-worker';
import { routes } from './app.routes';
import { provideApi } from './core/api-config';
import { AuthStore } from './core/auth-store';
import { authInterceptor } from './core/auth-interceptor';
import { DeviceCrypto } from './core/crypto/device-crypto';
import { UnreadTitleStrategy } from './core/notifications/unread-title-strategy';
import { provideE2ee } from './core/crypto/sdk-e2ee-transport';
import { ThemeService } from './core/theme';
import { Outbox } from './features/chats/outbox/outbox';
import { uploadProgressInterceptor } from './core/upload-progress';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(routes, withComponentInputBinding()),
    { provide: TitleStrategy, useClass: UnreadTitleStrategy },
    // sw.js is Angular's worker (the offline app shell) plus the push handler (public/sw.js).
    provideServiceWorker('sw.js', { enabled: !isDevMode(), registrationStrategy: 'registerImmediately' }),
    // The XHR backend (not withFetch): upload progress needs it. Browsers send the Sec-Fetch-* headers that
    // the refresh cookie depends on with XHR too. Progress comes after auth, so a retry after a refresh
    // reports its own progress again.
    provideHttpClient(withInterceptors([authInterceptor, uploadProgressInterceptor])),
    provideApi(),
    provideE2ee(),
    provideAppInitializer(() => {
      inject(ThemeService);
      inject(DeviceCrypto);
      // Whatever page opens first, what waits in the outbox goes out.
      inject(Outbox);
      return inject(AuthStore).restore();
    }),
  ],
};
