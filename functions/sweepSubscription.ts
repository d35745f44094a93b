import { register } from '../lib/host/registration.js';
import { sweepSubscriptionDefinition } from '../lib/sweep/functions.js';

// Monthly validation sweep, worker side: sweeps the subscription named in the work item, stores
// its result, and assembles the month's report when it was the last one (queue %DW_SWEEP_QUEUE%).
export default register(sweepSubscriptionDefinition());
