/** A clock the test moves by hand. */
export interface TestClock {
  (): Date;
  set(at: Date | string): void;
  advance(ms: number): Date;
}

export function testClock(start: Date | string): TestClock {
  let now = new Date(start);
  const clock = (() => new Date(now)) as TestClock;
  clock.set = (at) => {
    now = new Date(at);
  };
  clock.advance = (ms) => {
    now = new Date(now.getTime() + ms);
    return new Date(now);
  };
  return clock;
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
