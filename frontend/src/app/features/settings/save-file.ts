/** Object URLs are freed after this; the browser has long taken the file by then. */
const REVOKE_AFTER_MS = 60_000;

/** Hands a file to the browser as a download (through a `blob:` URL, which the CSP allows). */
export function saveFile(document: Document, blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}
