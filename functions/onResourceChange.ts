import { appFromEnvironment } from '../lib/app/app.js';
import { handleResourceChange } from '../lib/events/handle.js';
import { register } from '../lib/host/registration.js';

// Event Grid trigger (subscription system topic, ARCHITECTURE.md "The path of an event"): adapt and delegate.
// Malformed events resolve (logged, never retried); transient failures reject so Event Grid redelivers.
register({
  kind: 'eventGrid',
  name: 'onResourceChange',
  handler: async (event, context) => {
    const deps = await (await appFromEnvironment()).eventPath();
    await handleResourceChange(
      event,
      deps.handlerDeps((line) => context.log(line)),
    );
  },
});
