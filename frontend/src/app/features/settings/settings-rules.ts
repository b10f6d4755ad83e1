import { type AbstractControl, type ValidationErrors, type ValidatorFn, Validators } from '@angular/forms';

/** The server's rules (users/dto/update-profile.dto.ts): names 1–64 characters after trimming, status up to 140. */
export const DISPLAY_NAME_MAX = 64;
export const STATUS_MAX = 140;
/** auth/dto/change-password.dto.ts: the new password 8–128 characters; the current one up to 1024. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;
export const CURRENT_PASSWORD_MAX = 1024;

/** Checks the length the server will see: it trims leading and trailing spaces first. */
export function trimmedLength(min: number, max: number): ValidatorFn {
  return (control: AbstractControl): ValidationErrors | null => {
    const length = String(control.value ?? '').trim().length;
    if (length < min) return { required: true };
    if (length > max) return { maxlength: { requiredLength: max, actualLength: length } };
    return null;
  };
}

export const displayNameValidators = [trimmedLength(1, DISPLAY_NAME_MAX)];
export const statusValidators = [trimmedLength(0, STATUS_MAX)];
export const newPasswordValidators = [Validators.required, Validators.minLength(PASSWORD_MIN), Validators.maxLength(PASSWORD_MAX)];
export const currentPasswordValidators = [Validators.required, Validators.maxLength(CURRENT_PASSWORD_MAX)];
