import { register } from '../lib/host/registration.js';
import { monthlySweepDefinition } from '../lib/sweep/functions.js';

// Monthly validation sweep, fan-out side: one queue work item per configured subscription, on
// the %DW_SWEEP_SCHEDULE% timer (03:00 UTC on the 1st by default).
export default register(monthlySweepDefinition());
