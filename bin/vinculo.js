#!/usr/bin/env node
// The `vinculo` command: the compiled CLI (dist/bundle/cli.js), or src/cli.ts through tsx when the build is missing or stale.
import { launch } from './launch.js';

await launch('cli');
