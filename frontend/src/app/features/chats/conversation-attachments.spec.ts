import type { HttpTestingController } from '@angular/common/http/testing';
import type { MessageDto } from '../../../sdk/models/message-dto';
import { FakeIntersectionObserver, type FakeRealtime, fakeLayout, nextRequest, press, renderConversation, setUpConversationPage, type } from './conversation.fixtures';
import { message } from './message.fixtures';
import { answerNotices } from './conversation-store.fixtures';

describe('Conversation attachments', () => {
  let http: HttpTestingController;
  let realtime: FakeRealtime;

  const next = (url: string) => nextRequest(http, url);
  const render = (items: MessageDto[] = [], nextCursor: string | null = null, conversation: object = {}) =>
    renderConversation(http, items, nextCursor, conversation);

  beforeEach(() => {
    ({ http, realtime } = setUpConversationPage());
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    answerNotices(http);
    http.verify();
  });

  const originalCreate = URL.createObjectURL;
  const originalRevoke = URL.revokeObjectURL;
  const uploadRequests = () => http.match((request) => request.url === '/api/attachments' && request.method === 'POST');

  beforeEach(() => {
    URL.createObjectURL = vi.fn(() => 'blob:test/1');
    URL.revokeObjectURL = vi.fn();
  });

  afterEach(() => {
    URL.createObjectURL = originalCreate;
    URL.revokeObjectURL = originalRevoke;
  });

  function pick(element: HTMLElement, files: File[]): void {
    const input = element.querySelector<HTMLInputElement>('input[type="file"]')!;
    Object.defineProperty(input, 'files', { value: files, configurable: true });
    input.dispatchEvent(new Event('change'));
  }

  function dragEvent(type: string, files: File[] = []): Event {
    const event = new Event(type, { bubbles: true, cancelable: true });
    Object.defineProperty(event, 'dataTransfer', { value: { types: ['Files'], files, dropEffect: 'none' } });
    return event;
  }

  it('picks files with the paperclip, shows them uploading, and sends a message of attachments only', async () => {
    const { element, detect } = await render();
    const send = () => element.querySelector<HTMLButtonElement>('button[type="submit"]')!;
    expect(send().disabled).toBe(true);
    const attach = element.querySelector<HTMLButtonElement>('button[aria-label="Attach files"]')!;
    expect(attach.disabled).toBe(false);

    pick(element, [new File(['12345'], 'plan.txt', { type: 'text/plain' })]);
    (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[aria-label="Attachments to send"]')?.textContent).toContain('plan.txt');
    });
    expect(element.querySelector('mat-progress-bar')?.getAttribute('aria-label')).toBe('Uploading plan.txt');
    expect(send().disabled).toBe(false);

    send().click();
    detect();
    expect(element.querySelector('[aria-label="Attachments to send"]')).toBeNull();
    const pending = element.querySelector('[data-testid="message"]')!;
    expect(pending.textContent).toContain('plan.txt');
    expect(pending.textContent).toContain('Sending…');
    expect(pending.querySelector('[aria-label="Cancel sending plan.txt"]')).not.toBeNull();

    const [upload] = uploadRequests();
    upload.flush({ id: 'a1', kind: 'file', mimeType: 'text/plain', size: 5, name: 'plan.txt', url: '/api/attachments/a1', createdAt: '2026-01-01T00:00:00.000Z' });
    const sent = await next('/api/conversations/c1/messages');
    expect(sent.request.body).toMatchObject({ body: null, attachmentIds: ['a1'] });
    sent.flush({
      id: 'm1', conversationId: 'c1', senderId: 'u1', clientId: sent.request.body.clientId, body: null, seq: 1, createdAt: '2026-01-01T10:00:00.000Z',
      deleted: false, editedAt: null, expiresAt: null, expiresInSeconds: null, expiryMode: null,
      attachments: [{ id: 'a1', kind: 'file', mimeType: 'text/plain', size: 5, name: 'plan.txt', url: '/api/attachments/a1', createdAt: '2026-01-01T00:00:00.000Z' }],
    });
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[data-testid="file-chip"]')?.textContent).toContain('5 bytes');
    });
    expect(element.textContent).not.toContain('Sending…');
  });

  it('shows a drop zone while files are dragged over, and takes the dropped files', async () => {
    const { element, detect } = await render();
    const host = element;
    host.dispatchEvent(dragEvent('dragenter'));
    detect();
    expect(element.querySelector('[data-testid="drop-zone"]')?.textContent).toContain('Drop files to send them to Bob Builder');
    const over = dragEvent('dragover');
    host.dispatchEvent(over);
    expect(over.defaultPrevented).toBe(true);
    host.dispatchEvent(dragEvent('dragleave'));
    detect();
    expect(element.querySelector('[data-testid="drop-zone"]')).toBeNull();

    host.dispatchEvent(dragEvent('dragenter'));
    const drop = dragEvent('drop', [new File(['x'], 'dropped.txt')]);
    host.dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
    (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[aria-label="Attachments to send"]')?.textContent).toContain('dropped.txt');
    });
    expect(element.querySelector('[data-testid="drop-zone"]')).toBeNull();
    const [upload] = uploadRequests();
    element.querySelector<HTMLButtonElement>('[aria-label="Cancel upload of dropped.txt"]')!.click();
    detect();
    expect(upload.cancelled).toBe(true);
    expect(element.querySelector('[aria-label="Attachments to send"]')).toBeNull();
  });

  it('keeps files dropped beside the conversation from opening in the browser', async () => {
    const { element } = await render();
    const outside = document.createElement('div');
    document.body.append(outside);
    const drop = dragEvent('drop', [new File(['x'], 'lost.txt')]);
    outside.dispatchEvent(drop);
    expect(drop.defaultPrevented).toBe(true);
    expect(element.querySelector('[aria-label="Attachments to send"]')).toBeNull();
    http.expectNone('/api/attachments/config');
    outside.remove();
  });

  it('refuses a file over the limit in words, without uploading it', async () => {
    const { element, detect } = await render();
    pick(element, [new File([new Uint8Array(2000)], 'huge.mov')]);
    (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[role="alert"]')?.textContent).toContain('“huge.mov” is too large (2 KB): files may be at most 1000 bytes.');
    });
    expect(uploadRequests()).toHaveLength(0);
  });

  it('attaches pasted images', async () => {
    const { element, textarea, detect } = await render();
    const paste = new Event('paste', { bubbles: true, cancelable: true });
    Object.defineProperty(paste, 'clipboardData', { value: { files: [new File(['x'], 'image.png', { type: 'image/png' })] } });
    textarea.dispatchEvent(paste);
    expect(paste.defaultPrevented).toBe(true);
    (await next('/api/attachments/config')).flush({ maxUploadBytes: 1000, maxAttachmentsPerMessage: 10 });
    await vi.waitFor(() => {
      detect();
      expect(element.querySelector('[aria-label="Attachments to send"]')?.textContent).toContain('image.png');
    });
    uploadRequests()[0].flush({ id: 'a1', kind: 'image', mimeType: 'image/png', size: 1, name: 'image.png', url: '/api/attachments/a1', createdAt: '2026-01-01T00:00:00.000Z' });
  });
});
