#!/usr/bin/env node
// `npm start`: the compiled server (dist/main.js), or src/main.ts through tsx when the build is missing or stale.
import { launch } from './launch.js';

await launch('main', (m) => process.stderr.write(`vinculo: ${m}\n`));
