import { inject, Injectable } from '@angular/core';
import { MatSnackBar } from '@angular/material/snack-bar';
import { describeError } from '../core/api-errors';

/** Short messages at the bottom of the screen: what went wrong in words, or what just happened. */
@Injectable({ providedIn: 'root' })
export class Toasts {
  private readonly snackBar = inject(MatSnackBar);

  /** Says in words why an API call (or anything else) failed. */
  error(error: unknown): void {
    this.snackBar.open(describeError(error), 'Dismiss', { duration: 8000, politeness: 'assertive' });
  }

  info(message: string): void {
    this.snackBar.open(message, undefined, { duration: 4000, politeness: 'polite' });
  }
}
