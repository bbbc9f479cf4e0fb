// Worker thread bootstrap: a worker does not inherit the loader hooks the main thread
// registered with tsx's API (bin/switchboard.mjs), so it registers them itself before loading
// the TypeScript worker body.
import { register } from 'tsx/esm/api';
register();
await import('./media-worker.ts');
