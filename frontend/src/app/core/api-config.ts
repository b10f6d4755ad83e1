import type { Provider } from '@angular/core';
import { provideApiConfiguration } from '../../sdk/api-configuration';

/** The generated SDK's settings: the API is served from the app's own origin, under /api. */
export function provideApi(): Provider {
  return provideApiConfiguration('');
}
