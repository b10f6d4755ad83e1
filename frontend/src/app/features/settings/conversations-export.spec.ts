import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { signal } from '@angular/core';
import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { AuthStore } from '../../core/auth-store';
import { authResponse } from '../../core/auth-store.fixtures';
import { DeviceCrypto } from '../../core/crypto/device-crypto';
import { message } from '../chats/message.fixtures';
import { ConversationsExport } from './conversations-export';
import { unzipBlob } from './zip.fixtures';

describe('ConversationsExport', () => {
  let fixture: ComponentFixture<ConversationsExport>;
  let http: HttpTestingController;
  let element: HTMLElement;
  let saved: Blob[];
  let clicked: HTMLAnchorElement[];

  const text = () => element.textContent ?? '';
  const button = (name: string) => [...element.querySelectorAll('button')].find((candidate) => candidate.textContent?.trim() === name)!;
  const nextRequest = (url: string) => vi.waitFor(() => http.expectOne((request) => request.url === url));

  beforeEach(async () => {
    saved = [];
    clicked = [];
    Object.assign(URL, {
      createObjectURL: vi.fn((blob: Blob) => {
        saved.push(blob);
        return 'blob:zip';
      }),
      revokeObjectURL: vi.fn(),
    });
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this);
    });
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter([]),
        // No crypto on this device: encrypted messages are listed as unreadable with this reason.
        { provide: DeviceCrypto, useValue: { ready: () => Promise.resolve(null), error: signal(new Error('No keys here')) } },
      ],
    });
    http = TestBed.inject(HttpTestingController);
    const auth = TestBed.inject(AuthStore);
    const signIn = auth.signIn('alice', 'correct horse');
    http.expectOne('/api/auth/login').flush(authResponse('token-1'));
    await signIn;
    fixture = TestBed.createComponent(ConversationsExport);
    element = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();
  });

  afterEach(() => {
    http.verify();
    vi.restoreAllMocks();
  });

  async function start(): Promise<void> {
    button('Export my conversations').click();
    await fixture.whenStable();
  }

  it('says it is made on this device and includes files', () => {
    expect(text()).toContain('made here on this device');
    expect(text()).toContain('every file is included');
    expect(text()).toContain('listed with the reason');
  });

  it('shows progress, then downloads the zip and says what is in it', async () => {
    await start();
    expect(text()).toContain('Reading your conversation list…');
    expect(button('Exporting…').disabled).toBe(true);

    (await nextRequest('/api/conversations')).flush({
      items: [{ id: 'c1', encrypted: true, peer: { id: 'u2', username: 'bob', displayName: 'Bob' } }],
      nextCursor: null,
    });
    const history = await nextRequest('/api/conversations/c1/messages');
    await vi.waitFor(() => expect(text()).toContain('0 of 1 conversations done, 0 files'));
    history.flush({
      items: [message({ id: 'e1', seq: 1, body: null, ciphertext: { ciphertext: 'AwgA', session_id: 's' } as never })],
      nextCursor: null,
    });
    await vi.waitFor(() => expect(text()).toContain('Downloaded iris-conversations-alice-'));

    expect(text()).toContain('1 conversation, 0 files, 1 message this device could not read, listed with the reason.');
    expect(clicked).toHaveLength(1);
    expect(clicked[0].download).toMatch(/^iris-conversations-alice-\d{4}-\d{2}-\d{2}\.zip$/);
    const files = await unzipBlob(saved[0]);
    const c1 = JSON.parse(new TextDecoder().decode(files.get('conversations/c1.json'))) as { messages: { undecryptable: unknown }[] };
    expect(c1.messages[0].undecryptable).toEqual({ reason: 'no-device', message: 'No keys here' });
    expect(button('Export my conversations').disabled).toBe(false);
  });

  it('cancels: the request stops and nothing is saved', async () => {
    await start();
    const list = await nextRequest('/api/conversations');
    button('Cancel').click();
    await vi.waitFor(() => expect(text()).toContain('Export cancelled. Nothing was saved.'));

    expect(list.cancelled).toBe(true);
    expect(clicked).toHaveLength(0);
    expect(button('Cancel')).toBeUndefined();
  });

  it('shows a failure in words', async () => {
    await start();
    (await nextRequest('/api/conversations')).flush({ code: 'INTERNAL', message: 'boom' }, { status: 500, statusText: 'Server Error' });
    await vi.waitFor(() =>
      expect(element.querySelector('[role="alert"]')?.textContent).toContain('The export failed: Something went wrong on the server. Please try again.'),
    );
    expect(clicked).toHaveLength(0);
  });
});
