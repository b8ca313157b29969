// Preload: `node --import nodevent/register app.js` patches dns, net, http and fetch before any
// application module runs, so even references the app captures at import time are the patched
// functions. Timers stay unpatched (see docs/patching.md); call patchAll({ timers: true }) to opt in.
import { patchAll } from './patch/index.js';

patchAll();
