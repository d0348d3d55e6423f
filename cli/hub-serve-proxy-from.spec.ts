// `radfed hub serve --proxy-from` through the real entry: the balancer addresses are checked before the
// hub opens anything, and the help says what the flag is for.
import { expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

it('refuses a host name or a mistyped address in --proxy-from, saying what to give', async () => {
  const run = await runRadfed(
    'hub',
    'serve',
    '--dir',
    '/nonexistent/hub',
    '--proxy-from',
    '10.0.0.5,hub.example.org',
  );
  expect(run.status).toBe(2);
  expect(run.err).toContain('The load balancer addresses must be IP addresses, comma separated');
  expect(run.err).toContain('not: hub.example.org');
}, 60_000);

it('explains --proxy-from in hub serve --help', async () => {
  const run = await runRadfed('hub', 'serve', '--help');
  expect(run.out.replace(/\s+/g, ' ')).toContain('a header from any other address is refused');
}, 60_000);
