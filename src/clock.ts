/** Time is passed in everywhere, so tests can drive days of reminders in milliseconds. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();
