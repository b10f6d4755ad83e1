import { type ComponentFixture, TestBed } from '@angular/core/testing';
import { NEVER, type Observable, Subject } from 'rxjs';
import type { AttachmentDto } from '../../../../sdk/models/attachment-dto';
import { attachmentDto } from './attachment.fixtures';
import { UploadItem } from './upload-item';
import { Upload, UploadQueue } from './uploads-store';

describe('UploadItem', () => {
  let fixture: ComponentFixture<UploadItem>;
  let response: Subject<AttachmentDto>;
  const originalCreate = URL.createObjectURL;
  const originalRevoke = URL.revokeObjectURL;

  const text = () => (fixture.nativeElement as HTMLElement).textContent!.replace(/\s+/g, ' ');
  const button = (label: string) => (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);

  function render(upload: Upload, action: 'remove' | 'cancel' = 'remove'): void {
    fixture = TestBed.createComponent(UploadItem);
    fixture.componentRef.setInput('upload', upload);
    fixture.componentRef.setInput('action', action);
    fixture.detectChanges();
  }

  function upload(file: File, transport: () => Observable<AttachmentDto> = () => response): Upload {
    return new Upload(file, new UploadQueue(transport));
  }

  beforeEach(() => {
    response = new Subject();
    URL.createObjectURL = vi.fn(() => 'blob:test/preview');
    URL.revokeObjectURL = vi.fn();
  });

  afterEach(() => {
    URL.createObjectURL = originalCreate;
    URL.revokeObjectURL = originalRevoke;
  });

  it('shows the size and percentage while uploading, "Processing…" once every byte is out, then "Uploaded"', () => {
    const item = upload(new File([new Uint8Array(2048)], 'notes.txt'));
    render(item);
    expect(text()).toContain('notes.txt');
    expect(text()).toContain('2 KB · 0%');
    item.report(1024, 2048);
    fixture.detectChanges();
    expect(text()).toContain('2 KB · 50%');
    expect(fixture.nativeElement.querySelector('mat-progress-bar').getAttribute('aria-valuenow')).toBe('50');
    item.report(2048, 2048);
    fixture.detectChanges();
    expect(text()).toContain('Processing…');
    response.next(attachmentDto('a1'));
    response.complete();
    fixture.detectChanges();
    expect(text()).toContain('2 KB · Uploaded');
    expect(fixture.nativeElement.querySelector('mat-progress-bar')).toBeNull();
    expect(button('Remove notes.txt')).not.toBeNull();
  });

  it('previews a picked image from the file itself and lets the URL go when removed', () => {
    render(upload(new File(['x'], 'cat.png', { type: 'image/png' })));
    expect(fixture.nativeElement.querySelector('img').getAttribute('src')).toBe('blob:test/preview');
    fixture.destroy();
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:test/preview');
  });

  it('says why it failed, with a retry in the composer but not in a message on its way', () => {
    const failing = upload(new File(['x'], 'a.txt'), () => {
      const subject = new Subject<AttachmentDto>();
      queueMicrotask(() => subject.error(new Error('boom')));
      return subject;
    });
    render(failing);
    return vi.waitFor(() => {
      fixture.detectChanges();
      expect(text()).toContain('Something went wrong. Please try again.');
      expect(fixture.nativeElement.querySelector('[role="alert"]')).not.toBeNull();
      expect(button('Retry uploading a.txt')).not.toBeNull();
      fixture.componentRef.setInput('action', 'cancel');
      fixture.detectChanges();
      expect(button('Retry uploading a.txt')).toBeNull();
      expect(button('Cancel sending a.txt')).not.toBeNull();
    });
  });

  it('emits removed, and asks before the page is left while the upload is on its way', () => {
    const item = upload(new File(['x'], 'a.txt'), () => NEVER);
    render(item);
    const removed = vi.fn();
    fixture.componentInstance.removed.subscribe(removed);
    button('Cancel upload of a.txt')!.click();
    expect(removed).toHaveBeenCalled();

    const leaving = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(leaving);
    expect(leaving.defaultPrevented).toBe(true);
    item.cancel();
    const leavingAgain = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(leavingAgain);
    expect(leavingAgain.defaultPrevented).toBe(false);
  });
});
