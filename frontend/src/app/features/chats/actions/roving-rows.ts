/** The rows of the history that take the focus: its messages, not its day separators. */
const ROW = ':scope > li[data-testid="message"]';

/**
 * Moves the focus between the rows of a list for the arrow keys, Home and End (a roving tabindex: the
 * list is one Tab stop, whichever row holds it). Answers the row now focused, or null when the key is
 * not one of those or the focus is inside a row rather than on it.
 */
export function moveRowFocus(event: KeyboardEvent, list: HTMLElement): HTMLElement | null {
  const rows = Array.from(list.querySelectorAll<HTMLElement>(ROW));
  const index = rows.indexOf(event.target as HTMLElement);
  if (index < 0 || rows.length === 0) return null;
  let next: number;
  switch (event.key) {
    case 'ArrowUp':
      next = Math.max(0, index - 1);
      break;
    case 'ArrowDown':
      next = Math.min(rows.length - 1, index + 1);
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = rows.length - 1;
      break;
    default:
      return null;
  }
  event.preventDefault();
  // Focusing scrolls the row into view.
  rows[next].focus();
  return rows[next];
}
