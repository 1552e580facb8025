#!/usr/bin/env node
// `npm start`: the compiled server (dist/bundle/main.js), or src/main.ts through tsx when the build is missing or stale.
// package.json runs it with --v8-pool-size=1: one V8 helper thread instead of four, so fewer malloc
// arenas that keep what the start-up's wasm compilation freed (~50 MB less resident on 2 cores, no slower).
import { launch } from './launch.js';

await launch('main', (m) => process.stderr.write(`vinculo: ${m}\n`));
