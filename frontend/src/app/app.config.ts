import { provideHttpClient, withInterceptors } from '@angular/common/http';
import {
  type ApplicationConfig,
  inject,
  provideAppInitializer,
  provideBrowserGlobalErrorListeners,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideRouter, withComponentInputBinding } from '@angular/router';
import { provideApiConfiguration } from '../sdk/api-configuration';
import { routes } from './app.routes';
import { AuthStore } from './core/auth-store';
import { authInterceptor } from './core/auth-interceptor';
import { ThemeService } from './core/theme';

export const appConfig: ApplicationConfig = {
  providers: [
    provideBrowserGlobalErrorListeners(),
    provideZonelessChangeDetection(),
    provideRouter(routes, withComponentInputBinding()),
    // The XHR backend (not withFetch): upload progress needs it. Browsers send the Sec-Fetch-* headers that
    // the refresh cookie depends on with XHR too.
    provideHttpClient(withInterceptors([authInterceptor])),
    // The API is served from the same origin as the app, under /api.
    provideApiConfiguration(''),
    provideAppInitializer(() => {
      inject(ThemeService);
      return inject(AuthStore).restore();
    }),
  ],
};
