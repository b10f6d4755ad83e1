/** "14:05" today, "Mon" within the week, "3 Mar" this year, "3 Mar 2025" before; in the user's locale. */
export function shortTime(iso: string, now: Date = new Date(), locale?: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  if (date >= startOfToday) return date.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  const sixDaysAgo = new Date(startOfToday.getTime() - 6 * 24 * 3600 * 1000);
  if (date >= sixDaysAgo) return date.toLocaleDateString(locale, { weekday: 'short' });
  const sameYear = date.getFullYear() === now.getFullYear();
  return date.toLocaleDateString(locale, sameYear ? { day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', year: 'numeric' });
}
