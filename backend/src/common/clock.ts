import { Injectable } from '@nestjs/common';

/** The one source of "now" for anything time-based, so tests can move time instead of sleeping. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
