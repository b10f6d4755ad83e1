// The service worker: Angular's (the app shell, cached for offline use: ngsw-config.json) plus what a
// push does. A push carries only { type, conversationId, unread } (DESIGN.md §10): the notification
// says "New message" and names no one. Anything else (an older or newer server, a payload that does not
// parse) still shows "New activity": Chromium shows its own notice for a push that shows nothing.
importScripts('./ngsw-worker.js');

const ICON = 'icons/icon-light-192.png';

/** What a push shows: its title, tag and the page a click opens. */
function describePush(payload) {
  if (payload && payload.type === 'message' && typeof payload.conversationId === 'string') {
    return { title: 'New message', tag: payload.conversationId, url: `/chats/${encodeURIComponent(payload.conversationId)}` };
  }
  return { title: 'New activity', tag: 'iris-activity', url: '/chats' };
}

self.addEventListener('push', (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null;
  }
  const { title, tag, url } = describePush(payload);
  const shown = self.registration.showNotification(title, {
    tag,
    icon: ICON,
    badge: ICON,
    // Angular's worker handles the click: it focuses an open Iris window on the page, or opens one.
    data: { onActionClick: { default: { operation: 'navigateLastFocusedOrOpen', url } } },
  });
  const unread = payload && typeof payload.unread === 'number' ? payload.unread : null;
  const badge = unread !== null && 'setAppBadge' in self.navigator ? self.navigator.setAppBadge(unread).catch(() => undefined) : null;
  event.waitUntil(Promise.all([shown, badge]));
});
