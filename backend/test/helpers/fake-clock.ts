import { Clock } from '../../src/common/clock.js';

/** A clock the test moves by hand; starts at the real time. */
export class FakeClock extends Clock {
  private current = Date.now();

  override now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
