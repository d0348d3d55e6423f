// The dashboard's pages over a real hub that ran real rounds: what each page says, the model download
// (a tar that the system's tar reads, holding a TF.js model.json and its weights), escaping of names,
// and a token shown once and never again.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../shared/federation/index.ts';
import { parseEnrollmentToken } from '../../shared/node/federation/index.ts';
import { createTask } from '../tasks.ts';
import { enrollTestSite, testTask } from '../testing/test-hub.ts';
import { DashboardClient, hiddenField } from './testing/dashboard-client.ts';
import {
  COORDINATOR,
  COORDINATOR_PASSWORD,
  makeFederatedHub,
  SITE_NAMES,
  type FederatedHub,
} from './testing/federated-hub.ts';

describe('hub dashboard pages', () => {
  let fed: FederatedHub;
  let client: DashboardClient;

  beforeAll(async () => {
    fed = await makeFederatedHub();
    client = new DashboardClient(fed.testHub.hub.url, fed.testHub.hub.ctx.keys.caCertPem);
    expect((await client.login(COORDINATOR, COORDINATOR_PASSWORD)).status).toBe(303);
  });
  afterAll(() => fed.cleanup());

  it('overview: sites online, tasks, tokens and the hub certificate', async () => {
    const page = (await client.get('/dashboard/')).text;
    expect(page).toContain('2 of 2</span><span class="label">sites online');
    expect(page).toContain('1 of 1</span><span class="label">tasks active');
    expect(page).toContain('1</span><span class="label">enrollment tokens unused');
    expect(page).toContain('TLS certificate expires');
    expect(page).toContain(fed.testHub.hub.ctx.keys.caFingerprint);
    for (const name of SITE_NAMES) expect(page).toContain(name);
  });

  it('sites: each with online state, last seen, version and accepted updates', async () => {
    const page = (await client.get('/dashboard/sites')).text;
    const row = page.slice(page.indexOf(SITE_NAMES[1]), page.indexOf('</tr>', page.indexOf(SITE_NAMES[1])));
    expect(row).toContain('state-ok">online');
    expect(row).toContain('not reported');
    expect(row).toMatch(/<td class="num">1<\/td>\s*<td class="num">2<\/td>/); // 1 task, 2 updates
  });

  it('tokens: used ones name their site; the secret of a new one is shown once, never stored', async () => {
    const before = (await client.get('/dashboard/tokens')).text;
    expect(before).toContain('Cedar Infirmary');
    expect(before.match(/state-muted">used/g)?.length).toBe(2);
    const made = await client.post('/dashboard/tokens', {
      csrf: hiddenField(before, 'csrf'),
      siteName: 'Dogwood Hospital',
      expires: '7d',
      hubUrl: fed.testHub.hub.url,
    });
    expect(made.headers.location).toBe('/dashboard/tokens');
    const shown = (await client.get('/dashboard/tokens')).text;
    const token = /<textarea id="new-token"[^>]*>([^<]+)<\/textarea>/.exec(shown)?.[1];
    const { secret } = parseEnrollmentToken(token!);
    expect(shown).toContain('the site<strong>Dogwood Hospital</strong>');
    const again = (await client.get('/dashboard/tokens')).text;
    expect(again).not.toContain(token);
    expect(again).not.toContain('new-token');
    for (const file of [fed.testHub.hub.ctx.layout.database, `${fed.testHub.hub.ctx.layout.database}-wal`]) {
      if (existsSync(file)) expect(readFileSync(file).includes(Buffer.from(secret))).toBe(false);
    }
  });

  it('refuses a token with a plain-HTTP hub address, saying why', async () => {
    const page = await client.post('/dashboard/tokens', {
      csrf: await client.csrf(),
      expires: '24h',
      hubUrl: 'http://hub.example.org:8443',
    });
    expect(page.status).toBe(400);
    expect(page.text).toContain('must be an https:// address');
  });

  it('task: rounds with their state, participation, metrics, privacy not set, and models', async () => {
    const page = (await client.get(`/dashboard/tasks/${fed.taskId}`)).text;
    expect(page).toContain('Task: Pneumonia screening');
    expect(page).toMatch(
      /<th scope="row" class="num">3<\/th>\s*<td><span class="state state-warn">collecting/,
    );
    expect(page).toMatch(/<th scope="row" class="num">1<\/th>\s*<td><span class="state state-ok">published/);
    expect(page).toContain('<td class="num">12 examples</td><td class="num">30 examples</td>');
    expect(page).toContain(
      '<dt>Secure aggregation</dt><dd>off: updates are encrypted to the hub, not masked</dd>',
    );
    expect(page).toContain('<dt>Differential privacy</dt><dd>not set</dd>');
    expect(page).toContain('<dt>Privacy budget</dt><dd>not set</dd>');
    const charts = JSON.parse(
      /<script type="application\/json" id="chart-data">([^<]*)<\/script>/.exec(page)![1]!,
    );
    expect(charts[0].x).toEqual([0, 1, 2]);
    expect(charts[0].series[1].values[2]).toBeCloseTo(0.79, 6); // accuracy, weighted over the two sites
    expect(charts[1].series.map((s: { label: string }) => s.label)).toEqual([...SITE_NAMES]);
    expect(charts[1].series[0].values).toEqual([12, 12, null]);
    expect(page).toContain(`/dashboard/tasks/${fed.taskId}/models/2/tfjs.tar`);
  });

  it('task: marks the best model version by the federated AUC', async () => {
    const page = (await client.get(`/dashboard/tasks/${fed.taskId}`)).text;
    expect(page).toContain('The best version is<strong>2</strong>, by the sites');
    expect(page).toContain('highest AUC, 0.830');
    expect(page).toMatch(
      /<th scope="row" class="num">2<br \/><span class="state state-ok">best<\/span><\/th>/,
    );
    expect(page.match(/>best</g)?.length).toBe(1);
  });

  it('task with differential privacy: the budget spent so far, from the task definition', async () => {
    const task = await createTask(
      fed.testHub.hub.ctx,
      testTask({
        name: 'DP task',
        privacy: {
          secureAggregation: true,
          differentialPrivacy: { clipNorm: 1, noiseMultiplier: 1.2, budget: { epsilon: 8, delta: 1e-5 } },
        },
      }),
    );
    const page = (await client.get(`/dashboard/tasks/${task.id}`)).text;
    expect(page).toContain('<dd>on: the hub learns only the sum of the sites&#39; updates</dd>');
    expect(page).toContain('<dt>Noise multiplier (z)</dt><dd>1.2</dd>');
    expect(page).toMatch(
      /ε = 0\.00 of 8\.00 \(δ = 0\.00001\) after 0 round\(s\); the budget allows \d+ round\(s\)/,
    );
  });

  // Each schedule in words, with its name in the task's JSON: final-decay (every demo task's) was shown
  // as if the rate were constant.
  const scheduleWords = {
    constant: 'the same in every round',
    cosine: 'lowered round by round to 5% of it by the last (cosine)',
    'final-decay':
      'kept for the first 75% of the rounds, then lowered over the last 25% to 5% of it by the last (final-decay)',
  } as const;
  for (const [schedule, words] of Object.entries(scheduleWords)) {
    it(`task with the ${schedule} learning-rate schedule: the sites' rate over the rounds in words`, async () => {
      const task = await createTask(
        fed.testHub.hub.ctx,
        testTask({
          name: `${schedule} task`,
          optimizer: { name: 'adam', learningRate: 0.002, schedule: schedule as keyof typeof scheduleWords },
        }),
      );
      const page = (await client.get(`/dashboard/tasks/${task.id}`)).text;
      expect(page.replace(/\s+/g, ' ')).toContain(`adam at 0.002, ${words}`);
    });
  }

  it('downloads a version as a tar the system tar reads, with TF.js model.json and weights', async () => {
    const answer = await client.get(`/dashboard/tasks/${fed.taskId}/models/2/tfjs.tar`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-disposition']).toBe('attachment; filename="Pneumonia-screening-v2.tar"');
    const dir = mkdtempSync(join(tmpdir(), 'radfed-tar-'));
    try {
      writeFileSync(join(dir, 'model.tar'), answer.body);
      execFileSync('tar', ['-xf', 'model.tar'], { cwd: dir });
      const model = JSON.parse(readFileSync(join(dir, 'Pneumonia-screening-v2', 'model.json'), 'utf8'));
      const shard = readFileSync(join(dir, 'Pneumonia-screening-v2', 'group1-shard1of1.bin'));
      const floats = model.weightsManifest[0].weights.reduce(
        (sum: number, w: { shape: number[] }) => sum + w.shape.reduce((a, b) => a * b, 1),
        0,
      );
      expect(shard.length).toBe(floats * 4);
      expect(model.userDefinedMetadata.radfed.version).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect((await client.get(`/dashboard/tasks/${fed.taskId}/models/9/tfjs.tar`)).status).toBe(404);
    expect((await client.get(`/dashboard/tasks/${fed.taskId}/models/1/other.bin`)).status).toBe(404);
  });

  it('escapes names: a task named with markup shows as text', async () => {
    const task = await createTask(fed.testHub.hub.ctx, testTask({ name: '<img src=x onerror=alert(1)>' }));
    const list = (await client.get('/dashboard/tasks')).text;
    expect(list).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(list).not.toContain('<img src=x');
    const page = (await client.get(`/dashboard/tasks/${task.id}`)).text;
    expect(page).not.toContain('<img src=x');
  });

  it('answers an unknown task or page with a 404 page, not the site API error', async () => {
    const missing = await client.get('/dashboard/tasks/task_nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toContain('text/html');
    expect((await client.get('/dashboard/nothing-here')).status).toBe(404);
  });

  it('marks a site seen only for a request that passed the signature check', async () => {
    const { client: elm, enrollment } = await enrollTestSite(fed.testHub.hub, 'Elm Hospital');
    const lastSeen = async () =>
      (await fed.testHub.hub.ctx.store.sites.site(enrollment.siteId))?.last_seen_at ?? null;
    expect(await lastSeen()).toBeNull();
    // The current protocol, so that what answers is the signature check (426 otherwise).
    const spoofed = { 'x-radfed-site': enrollment.siteId, [PROTOCOL_HEADER]: String(PROTOCOL_VERSION) };
    expect((await client.get('/v1/hub', spoofed)).status).toBe(200);
    expect((await client.get('/v1/tasks', spoofed)).status).toBe(401);
    expect(await lastSeen()).toBeNull();
    await elm.listTasks();
    expect(await lastSeen()).not.toBeNull();
  });
});
