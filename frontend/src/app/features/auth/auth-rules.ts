import { Validators } from '@angular/forms';

/** The server's rules (users/dto): 3–32 of a–z 0–9 _ . (upper case is folded), passwords 8–128. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_.]+$/;

export const usernameValidators = [
  Validators.required,
  Validators.minLength(3),
  Validators.maxLength(32),
  Validators.pattern(USERNAME_PATTERN),
];

export const passwordValidators = [Validators.required, Validators.minLength(8), Validators.maxLength(128)];
