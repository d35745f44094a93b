import { publishDigestsDefinition } from '../lib/anchor/functions.js';
import { register } from '../lib/host/registration.js';

// Signed evidence digests: every DW_DIGEST_INTERVAL seconds (default 300), for the chains that changed.
export default register(publishDigestsDefinition());
