import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { jobRun } from './admin.fixtures';
import { AdminJobsPage } from './admin-jobs-page';

describe('AdminJobsPage', () => {
  let http: HttpTestingController;

  const page = (cursor?: string) =>
    vi.waitFor(() => http.expectOne(cursor ? `/api/admin/jobs?cursor=${cursor}&limit=100` : '/api/admin/jobs?limit=100'));
  const card = (element: HTMLElement, job: string) => element.querySelector(`[data-job="${job}"]`)?.textContent ?? '';
  const button = (element: HTMLElement, label: string) =>
    [...element.querySelectorAll('button')].find((candidate) => candidate.textContent?.includes(label)) as HTMLButtonElement | undefined;

  function render(): HTMLElement {
    const fixture = TestBed.createComponent(AdminJobsPage);
    fixture.autoDetectChanges();
    return fixture.nativeElement as HTMLElement;
  }

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('sums up the latest run of each job, lists the runs, and folds the ones with nothing to do', async () => {
    const element = render();
    await vi.waitFor(() => expect(element.textContent).toContain('Loading job runs'));
    (await page()).flush({
      items: [
        jobRun({ startedAt: '2026-03-10T12:00:20.000Z', finishedAt: null }),
        jobRun({ job: 'attachment-cleanup', startedAt: '2026-03-10T12:00:10.000Z', finishedAt: '2026-03-10T12:00:10.035Z' }),
        jobRun({ startedAt: '2026-03-10T12:00:10.000Z', finishedAt: '2026-03-10T12:00:10.040Z', rowsAffected: 3 }),
        jobRun({ job: 'attachment-cleanup', startedAt: '2026-03-10T12:00:00.000Z', error: 'storage unreachable' }),
        jobRun({ startedAt: '2026-03-10T12:00:00.000Z' }),
        jobRun({ startedAt: '2026-03-10T11:59:50.000Z' }),
      ],
      nextCursor: 'older',
    });
    await vi.waitFor(() => expect(element.querySelectorAll('[data-testid="job-run"]').length).toBeGreaterThan(0));

    expect(card(element, 'message-expiry')).toContain('Disappearing messages');
    expect(card(element, 'message-expiry')).toContain('Running now, started');
    expect(card(element, 'message-expiry')).toContain('Succeeded');
    expect(card(element, 'message-expiry')).toContain('3 expired messages deleted');
    expect(card(element, 'message-expiry')).toContain('Took 40 ms');
    expect(card(element, 'attachment-cleanup')).toContain('No files to remove');
    expect(card(element, 'attachment-cleanup')).not.toContain('Running now');
    expect(card(element, 'attachment-cleanup')).toContain('Last failure');
    expect(card(element, 'attachment-cleanup')).toContain('storage unreachable');
    expect(card(element, 'session-cleanup')).toContain('Not among the 6 most recent runs; load older runs to look further back.');

    const rows = [...element.querySelectorAll('tbody tr')].map((row) => row.textContent?.replace(/\s+/g, ' ').trim());
    expect(rows).toHaveLength(5);
    expect(rows[0]).toContain('Still running');
    expect(rows[1]).toContain('1 run of File cleanup had nothing to do');
    expect(rows[2]).toContain('3 expired messages deleted');
    expect(rows[3]).toContain('Failed: storage unreachable');
    expect(rows[4]).toContain('2 runs of Disappearing messages had nothing to do');

    (element.querySelector('mat-slide-toggle button') as HTMLButtonElement).click();
    await vi.waitFor(() => expect(element.querySelectorAll('[data-testid="job-run"]')).toHaveLength(6));
    expect(element.querySelector('[data-testid="job-run-group"]')).toBeNull();
  });

  it('refreshes with the newest runs, and loads older ones with the cursor', async () => {
    const element = render();
    (await page()).flush({ items: [jobRun({ rowsAffected: 1 })], nextCursor: 'older' });
    await vi.waitFor(() => expect(element.querySelectorAll('[data-testid="job-run"]')).toHaveLength(1));

    button(element, 'Load older runs')!.click();
    (await page('older')).flush({ items: [jobRun({ rowsAffected: 2 })], nextCursor: null });
    await vi.waitFor(() => expect(element.querySelectorAll('[data-testid="job-run"]')).toHaveLength(2));
    expect(button(element, 'Load older runs')).toBeUndefined();

    button(element, 'Refresh')!.click();
    (await page()).flush({ items: [jobRun({ rowsAffected: 5 })], nextCursor: null });
    await vi.waitFor(() => expect(element.querySelector('tbody')?.textContent).toContain('5 expired messages deleted'));
    expect(element.querySelectorAll('[data-testid="job-run"]')).toHaveLength(1);
  });

  it('keeps the runs on screen when a refresh fails, and says why', async () => {
    const element = render();
    (await page()).flush({ items: [jobRun({ rowsAffected: 1 })], nextCursor: null });
    await vi.waitFor(() => expect(element.querySelectorAll('[data-testid="job-run"]')).toHaveLength(1));
    button(element, 'Refresh')!.click();
    (await page()).error(new ProgressEvent('error'));
    await vi.waitFor(() => expect(element.querySelector('[role="alert"]')?.textContent).toContain('Could not update the job runs. Cannot reach the server'));
    expect(element.querySelectorAll('[data-testid="job-run"]')).toHaveLength(1);
  });

  it('says when no job has run yet', async () => {
    const element = render();
    (await page()).flush({ items: [], nextCursor: null });
    await vi.waitFor(() => expect(element.textContent).toContain('No job has run yet'));
  });
});
