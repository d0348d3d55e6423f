// `radfed bench hub --database …` with a database it cannot use is refused before the SQLite run, not
// after minutes of it: the URL is read and the server reached first.
import { expect, it } from 'vitest';
import { runHubEngines } from './bench-hub-engines.ts';

const common = { sites: 3, rounds: 1, compression: 'none' as const };

it.each([
  ['not a URL', 'notaurl', /not a URL/],
  ['another database', 'mysql://u:pw@127.0.0.1/x', /not postgres:\/\//],
  [
    'a server that is not there',
    'postgres://u:secretpw@127.0.0.1:1/x',
    /Cannot reach PostgreSQL at 127\.0\.0\.1:1/,
  ],
])('refuses %s before any run starts, without repeating the password', async (_, database, message) => {
  const lines: string[] = [];
  const refused = await runHubEngines({ ...common, database, log: (line) => lines.push(line) }).catch(
    (error: Error) => error,
  );
  expect(refused).toBeInstanceOf(Error);
  expect((refused as Error).message).toMatch(message);
  expect((refused as Error).message).not.toContain('secretpw');
  expect(lines).toEqual([]);
});
