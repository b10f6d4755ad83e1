/** What a settings section extends: the sections before it, composed into AppConfig. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeScript requires a mixin's base constructor to take any[]
export type SectionBase<T = object> = new (...args: any[]) => T;

export const toBoolean = ({ value }: { value: unknown }) => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalised)) return true;
  if (['false', '0', 'no'].includes(normalised)) return false;
  return value;
};

export const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
