// The `radfed` command for tests that start it as a child process, from the TypeScript sources
// (under tsx) rather than the bundle, exactly as bin/radfed.js runs it.
import { main } from '../../../cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
