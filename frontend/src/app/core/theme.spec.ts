import { TestBed } from '@angular/core/testing';
import { ThemeService } from './theme';

/** A `prefers-color-scheme: dark` query whose answer the test changes, as the OS would. */
class FakeMediaQuery {
  private readonly listeners = new Set<(event: MediaQueryListEvent) => void>();
  constructor(public matches: boolean) {}
  addEventListener(_type: 'change', listener: (event: MediaQueryListEvent) => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'change', listener: (event: MediaQueryListEvent) => void): void {
    this.listeners.delete(listener);
  }
  set(matches: boolean): void {
    this.matches = matches;
    for (const listener of this.listeners) listener({ matches } as MediaQueryListEvent);
  }
}

describe('ThemeService', () => {
  let system: FakeMediaQuery;
  const root = () => document.documentElement.classList;

  function create(): ThemeService {
    const sut = TestBed.inject(ThemeService);
    TestBed.tick();
    return sut;
  }

  beforeEach(() => {
    system = new FakeMediaQuery(false);
    // jsdom has no matchMedia of its own.
    Object.defineProperty(window, 'matchMedia', {
      configurable: true,
      value: (query: string) => {
        expect(query).toBe('(prefers-color-scheme: dark)');
        return system;
      },
    });
    localStorage.clear();
    root().remove('theme-light', 'theme-dark');
  });

  afterEach(() => {
    vi.restoreAllMocks();
    Reflect.deleteProperty(window, 'matchMedia');
    localStorage.clear();
    root().remove('theme-light', 'theme-dark');
  });

  describe('system (the default)', () => {
    it('follows the OS, live, and sets no class so that the CSS media query decides', () => {
      const sut = create();
      expect(sut.preference()).toBe('system');
      expect(sut.theme()).toBe('light');

      system.set(true);
      TestBed.tick();
      expect(sut.theme()).toBe('dark');
      expect(root().contains('theme-dark')).toBe(false);
      expect(root().contains('theme-light')).toBe(false);
    });
  });

  describe('setPreference', () => {
    it('Dark applies and is remembered; the OS no longer matters', () => {
      const sut = create();
      sut.setPreference('dark');
      TestBed.tick();

      expect(sut.theme()).toBe('dark');
      expect(root().contains('theme-dark')).toBe(true);
      expect(localStorage.getItem('iris.theme')).toBe('dark');
      system.set(false);
      expect(sut.theme()).toBe('dark');
    });

    it('Light overrides a dark OS', () => {
      system.set(true);
      const sut = create();
      sut.setPreference('light');
      TestBed.tick();

      expect(sut.theme()).toBe('light');
      expect(root().contains('theme-light')).toBe(true);
      expect(root().contains('theme-dark')).toBe(false);
    });

    it('System forgets the choice and follows the OS again', () => {
      const sut = create();
      sut.setPreference('dark');
      TestBed.tick();
      sut.setPreference('system');
      TestBed.tick();

      expect(localStorage.getItem('iris.theme')).toBeNull();
      expect(root().contains('theme-dark')).toBe(false);
      expect(sut.theme()).toBe('light');
      system.set(true);
      expect(sut.theme()).toBe('dark');
    });

    it('still applies when storage refuses to write', () => {
      vi.spyOn(Storage.prototype, 'setItem').mockImplementation(() => {
        throw new DOMException('quota', 'QuotaExceededError');
      });
      const sut = create();
      sut.setPreference('dark');
      TestBed.tick();
      expect(sut.theme()).toBe('dark');
    });
  });

  describe('on start', () => {
    it('restores a remembered choice', () => {
      localStorage.setItem('iris.theme', 'dark');
      const sut = create();
      expect(sut.preference()).toBe('dark');
      expect(root().contains('theme-dark')).toBe(true);
    });

    it('ignores a value it does not know', () => {
      localStorage.setItem('iris.theme', 'sepia');
      expect(create().preference()).toBe('system');
    });
  });

  describe('toggle', () => {
    it('switches to the other theme, and back to following the system when that is what the OS shows', () => {
      const sut = create();
      sut.toggle();
      expect(sut.preference()).toBe('dark');
      sut.toggle();
      expect(sut.preference()).toBe('system');
      expect(sut.theme()).toBe('light');
    });
  });
});
