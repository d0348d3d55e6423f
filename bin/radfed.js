#!/usr/bin/env node
// The `radfed` command. TypeScript sources run through tsx's loader, so `npx radfed` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
