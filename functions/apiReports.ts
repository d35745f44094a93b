import { apiFunctionDefinition } from '../lib/api/functions.js';
import { register } from '../lib/host/registration.js';

register(apiFunctionDefinition('apiReports'));
