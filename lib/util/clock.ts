/**
 * Wall-clock time, injected everywhere it is read (engine, stores, API, sweep) so tests and
 * benches can fix or step it. One convention for the whole app: a function returning a Date.
 */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
