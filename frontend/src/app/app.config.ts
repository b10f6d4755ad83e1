import { provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  type ApplicationConfig,
  inject,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { routes } from './app.routes';
import { provideApi } from './core/api-config';
import { AuthStore } from './core/auth-store';
import { authInterceptor } from './core/auth-interceptor';
import { DeviceCrypto } from './core/crypto/device-crypto';
import { provideE2ee } from './core/crypto/sdk-e2ee-transport';
import { ThemeService } from './core/theme';
import { uploadProgressInterceptor } from './core/upload-progress';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(routes, withComponentInputBinding()),
    // The XHR backend (not withFetch): upload progress needs it. Browsers send the Sec-Fetch-* headers that
    // the refresh cookie depends on with XHR too. Progress comes after auth, so a retry after a refresh
    // reports its own progress again.
    provideHttpClient(withInterceptors([authInterceptor, uploadProgressInterceptor])),
    provideApi(),
    provideE2ee(),
    provideAppInitializer(() => {
      inject(ThemeService);
      inject(DeviceCrypto);
      return inject(AuthStore).restore();
    }),
  ],
};
