// The Swarm page against a real site agent whose swarm.db holds a real countersigned ledger of three
// hospitals (main/site/console/testing/swarm-test-ledger.ts): what is going on in plain words, how
// each member is reached, that the record checks out, and no id or hash outside the technical detail.
import { writeTestSwarm } from '../main/site/console/testing/swarm-test-ledger.ts';
import { expect, test } from './fixtures/records-site.ts';
import { SwarmPage } from './pages/swarm-page.ts';

test('a site in no swarm is told so in words', async ({ page, records }) => {
  const swarm = new SwarmPage(page);
  await swarm.open(records.ui.url);
  await expect(swarm.none).toContainText('This site does not train in a swarm.');
});

test('a member sees the swarm, its members and the round under way in plain words', async ({
  page,
  records,
}) => {
  const { sites } = writeTestSwarm(records.session.agent.site.directory);
  const swarm = new SwarmPage(page);
  await swarm.open(records.ui.url);
  await expect(swarm.membership).toHaveText(
    'This site takes part as Birch in the swarm \u201cNorthern nodule swarm\u201d, with 3 hospitals and no hub.',
  );
  await expect(swarm.now).toContainText(
    /^Round 2: waiting for .* to send (its masked update|their masked updates) to /,
  );
  await expect(swarm.now).toContainText('Cedar did not join the draw in time');
  await expect(swarm.ledger).toContainText('holds 8 entries, and every entry checks out');
  await expect(swarm.members).toContainText('Reached through Ash, which passes its messages on');
  await expect(swarm.members).toContainText('relay.hospital.example');
  await expect(swarm.rounds).toContainText('Rounds finished');
  await expect(swarm.rounds).toContainText('the privacy budget used so far');
  // Member ids and the model's hash only behind the technical detail.
  const main = page.locator('main');
  for (const site of sites) {
    await expect(main.getByText(site.id, { exact: true })).toBeHidden();
  }
  await page.locator('main details.technical').first().locator('summary').click();
  await expect(main.getByText(sites[0]!.id, { exact: true })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('swarm.png'), fullPage: true });
});
