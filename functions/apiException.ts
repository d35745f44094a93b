import { apiDepsFromEnvironment } from '../lib/api/production.js';
import { API_ROUTES, routeMethods, toHttpHandler } from '../lib/api/routes.js';
import { register } from '../lib/host/registration.js';

const route = API_ROUTES.apiException;

register({
  kind: 'http',
  name: route.name,
  route: route.route,
  methods: routeMethods(route),
  authLevel: 'function',
  handler: toHttpHandler(route, apiDepsFromEnvironment),
});
