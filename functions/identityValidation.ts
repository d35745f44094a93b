import { register } from '../lib/host/registration.js';
import { identityValidationDefinition } from '../lib/identity/functions.js';

// Identity governance validation (IDN-* controls, audit only): reads Microsoft Graph daily on the
// %DW_IDENTITY_SCHEDULE% timer (04:00 UTC by default) and records evidence.
export default register(identityValidationDefinition());
