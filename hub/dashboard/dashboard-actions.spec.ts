// What a coordinator can do from the dashboard, over a real hub that ran two real rounds: create a
// task through the form (the checks of `hub task create`, problems beside their fields, the privacy
// budget warning to confirm), stop a task after a confirmation, revoke an unused token, remove a
// site (its key refused from then on). Each refused without the session's CSRF token, each logged.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollSite, parseEnrollmentToken } from '../../shared/node/federation/index.ts';
import { HubRequestError } from '../../shared/federation/index.ts';
import { DashboardClient, hiddenField } from './testing/dashboard-client.ts';
import {
  COORDINATOR,
  COORDINATOR_PASSWORD,
  makeFederatedHub,
  SITE_NAMES,
  type FederatedHub,
} from './testing/federated-hub.ts';
import { FORM_DEFAULTS } from './task-form.ts';

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(chunk.toString());
    done();
  },
});
const logged = (message: string) =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === message);

describe('dashboard actions', () => {
  let fed: FederatedHub;
  let client: DashboardClient;
  const ctx = () => fed.testHub.hub.ctx;

  beforeAll(async () => {
    fed = await makeFederatedHub({ start: { logger: pino({ level: 'info' }, sink) } });
    client = new DashboardClient(fed.testHub.hub.url, fed.testHub.hub.ctx.keys.caCertPem);
    expect((await client.login(COORDINATOR, COORDINATOR_PASSWORD)).status).toBe(303);
  });
  afterAll(() => fed.cleanup());

  const newTask = async (fields: Record<string, string>) => {
    const form = await client.get('/dashboard/tasks/new');
    return client.post('/dashboard/tasks/new', {
      ...FORM_DEFAULTS,
      csrf: hiddenField(form.text, 'csrf'),
      ...fields,
    });
  };

  it('refuses a task with problems, each said in words beside its field, and creates nothing', async () => {
    const before = (await ctx().store.tasks.listTasks()).length;
    const page = await newTask({ name: '', labels: 'only one', rounds: '0', learningRate: 'fast' });
    expect(page.status).toBe(400);
    expect(page.text).toContain('The task was not created: 4 problems to fix');
    expect(page.text).toContain(
      'id="f-rounds" name="rounds" aria-invalid="true" aria-describedby="e-rounds-0"',
    );
    expect(page.text).toContain('<p class="field-error" id="e-rounds-0">Must be at least 1.</p>');
    expect(page.text).toContain('<p class="field-error" id="e-labels-0">Give at least 2.</p>');
    expect(page.text).toContain('<p class="field-error" id="e-learningRate-0">Enter a number.</p>');
    expect(page.text).toContain('<p class="field-error" id="e-name-0">This is required.</p>');
    expect(page.text).toContain('value="fast"'); // what was typed stays
    expect((await ctx().store.tasks.listTasks()).length).toBe(before);
  });

  it('says a rule across fields beside the field it is about (secure aggregation needs a quorum of 2)', async () => {
    const page = await newTask({ name: 'Solo', labels: 'a\nb', quorum: '1' });
    expect(page.status).toBe(400);
    expect(page.text).toMatch(/id="e-quorum-0">With secure aggregation a round needs at least 2 sites/);
  });

  it('refuses a task whose privacy budget funds only 2 of 20 rounds, saying beside ε what to change', async () => {
    const fields = {
      name: 'Short budget',
      labels: 'normal, pneumonia',
      rounds: '20',
      differentialPrivacy: 'site',
      noiseMultiplier: '1',
      epsilon: '8',
    };
    const before = (await ctx().store.tasks.listTasks()).length;
    const refused = await newTask({ ...fields, confirmWarnings: 'on' });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(
      /id="e-epsilon-0">The privacy budget ε = 8\.00 \(δ = 0\.00001\) funds only 2 of the task&#39;s 20 rounds with noise multiplier 1: raise the noise multiplier to 2\.854 \(that funds every round\), raise ε, or plan 2 rounds\./,
    );
    expect((await ctx().store.tasks.listTasks()).length).toBe(before);
    // With the noise it names, every round is funded and the task is created.
    const created = await newTask({ ...fields, noiseMultiplier: '2.854' });
    expect(created.status).toBe(303);
    const task = (await ctx().store.tasks.tasksByName('Short budget'))[0]!;
    expect(created.headers.location).toBe(`/dashboard/tasks/${task.id}`);
    const page = (await client.get(created.headers.location as string)).text;
    expect(page).toContain('Task &quot;Short budget&quot; created.');
    expect(page).toMatch(/the budget allows 2\d round\(s\)/);
    expect(logged('task created from the dashboard').at(-1)).toMatchObject({
      coordinator: COORDINATOR,
      task: task.id,
    });
  });

  it('creates a per-patient task with σ left empty: the hub calibrates σ, says it and the patients a site needs', async () => {
    const fields = {
      name: 'Per-patient pneumonia',
      labels: 'normal, pneumonia',
      rounds: '20',
      differentialPrivacy: 'patient',
      epsilon: '8',
      samplingRate: '0.2',
      patientClip: '1',
      patientNoise: '',
    };
    // First the hub says what it calibrated and what a site needs, and asks for a confirmation.
    const asked = await newTask(fields);
    expect(asked.status).toBe(409);
    expect(asked.text).toMatch(/the hub calibrated σ = 1\.557, the\s+least noise/);
    expect(asked.text).toContain('a site needs at least 243 training patients');
    expect(await ctx().store.tasks.tasksByName('Per-patient pneumonia')).toEqual([]);
    const created = await newTask({ ...fields, confirmWarnings: 'on' });
    expect(created.status).toBe(303);
    const task = (await ctx().store.tasks.tasksByName('Per-patient pneumonia'))[0]!;
    expect(JSON.parse(task.definition).privacy.differentialPrivacy).toEqual({
      unit: 'patient',
      l2NormClip: 1,
      noiseMultiplier: 1.557,
      samplingRate: 0.2,
      budget: { epsilon: 8, delta: 0.00001 },
    });
    const page = (await client.get(created.headers.location as string)).text;
    expect(page).toContain('The hub calibrated the noise multiplier from the budget: σ = 1.557.');
    expect(page).toContain('<dt>Noise multiplier (σ)</dt><dd>1.557</dd>');
    expect(page).toMatch(
      /<dt>Training patients a site needs<\/dt><dd>at least 243, so that the noise over the signal of the whole training, ρ = σ√d\/\(q·N·√T\)/,
    );
    expect(page).toMatch(/Privacy budget spent per patient<\/dt><dd>\s*ε = 0\.00 of 8\.00/);
    expect(page).toMatch(/in 5 steps a round, each on a random sample of a site&#39;s patients/);
    expect(page).not.toContain('batch 16');
  });

  it('refuses a per-patient budget that not even the most noise funds, saying so beside ε', async () => {
    const before = (await ctx().store.tasks.listTasks()).length;
    const refused = await newTask({
      name: 'Hopeless budget',
      labels: 'normal, pneumonia',
      differentialPrivacy: 'patient',
      epsilon: '0.001',
      samplingRate: '0.2',
      confirmWarnings: 'on',
    });
    expect(refused.status).toBe(400);
    expect(refused.text).toMatch(
      /id="f-epsilon" name="epsilon" aria-invalid="true" aria-describedby="e-epsilon-0"/,
    );
    expect(refused.text).toMatch(
      /id="e-epsilon-0">The privacy budget ε = 0\.001 \(δ = 0\.00001\) funds only \d+ of the task&#39;s 20 rounds, even with the most noise a task may have \(σ = 1000\)/,
    );
    // The choice and what was typed stay.
    expect(refused.text).toMatch(/value="patient"\s+checked/);
    expect((await ctx().store.tasks.listTasks()).length).toBe(before);
  });

  it('puts a per-patient σ problem beside σ, and a σ too small beside ε with the σ that funds every round', async () => {
    const fields = {
      name: 'Patient σ',
      labels: 'normal, pneumonia',
      differentialPrivacy: 'patient',
      epsilon: '8',
      samplingRate: '0.2',
    };
    const typo = await newTask({ ...fields, patientNoise: 'lots' });
    expect(typo.status).toBe(400);
    expect(typo.text).toContain('<p class="field-error" id="e-patientNoise-0">Enter a number.</p>');
    expect(typo.text).not.toContain('id="e-noiseMultiplier-0"');
    const small = await newTask({ ...fields, patientNoise: '0.5' });
    expect(small.status).toBe(400);
    expect(small.text).toMatch(
      /id="e-epsilon-0">The privacy budget ε = 8\.00 \(δ = 0\.00001\) funds only \d+ of the task&#39;s 20 rounds with noise multiplier σ = 0\.5 over 5 steps per round: raise σ to 1\.557 \(that funds every round\)/,
    );
  });

  it('creates a valid task with what the form said', async () => {
    const created = await newTask({
      name: 'Effusion',
      labels: 'none\neffusion',
      rounds: '5',
      sites: SITE_NAMES.join('\n'),
    });
    expect(created.status).toBe(303);
    const task = (await ctx().store.tasks.tasksByName('Effusion'))[0]!;
    expect(JSON.parse(task.definition)).toMatchObject({
      labels: ['none', 'effusion'],
      rounds: 5,
      sites: [...SITE_NAMES],
      privacy: { secureAggregation: { enabled: true }, differentialPrivacy: null },
    });
  });

  it('stops a task only after its confirmation page, and logs who did it', async () => {
    const confirm = await client.get(`/dashboard/tasks/${fed.taskId}/stop`);
    expect(confirm.text).toContain('The round now open fails');
    expect((await ctx().store.tasks.task(fed.taskId))?.state).toBe('active');
    const noCsrf = await client.post(`/dashboard/tasks/${fed.taskId}/stop`, {});
    expect(noCsrf.status).toBe(403);
    expect((await ctx().store.tasks.task(fed.taskId))?.state).toBe('active');
    const stopped = await client.post(`/dashboard/tasks/${fed.taskId}/stop`, {
      csrf: hiddenField(confirm.text, 'csrf'),
    });
    expect(stopped.status).toBe(303);
    expect((await ctx().store.tasks.task(fed.taskId))?.state).toBe('stopped');
    expect((await ctx().store.tasks.round(fed.taskId, 3))?.failure_reason).toBe(
      'The coordinator stopped the task.',
    );
    expect((await client.get(`/dashboard/tasks/${fed.taskId}`)).text).toContain('stopped.');
    expect(logged('task stopped from the dashboard').at(-1)).toMatchObject({
      coordinator: COORDINATOR,
      task: fed.taskId,
    });
  });

  it('revokes an unused token: a site can no longer enroll with it', async () => {
    const { token, tokenId } = await fed.testHub.hub.createToken({ siteName: 'Elm Hospital' });
    const csrf = await client.csrf();
    expect((await client.post(`/dashboard/tokens/${tokenId}/revoke`, {})).status).toBe(403);
    expect((await ctx().store.sites.token(tokenId))?.revoked_at).toBeNull();
    const revoked = await client.post(`/dashboard/tokens/${tokenId}/revoke`, { csrf });
    expect(revoked.status).toBe(303);
    const page = (await client.get('/dashboard/tokens')).text;
    expect(page).toContain(`Token ${tokenId} revoked`);
    expect(page).toContain('state-muted">revoked');
    const refused = await enrollSite({ token, siteName: 'Elm Hospital' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HubRequestError);
    expect((refused as HubRequestError).hubCode).toBe('token-revoked');
    expect(parseEnrollmentToken(token).secret).not.toBe('');
    expect(logged('enrollment token revoked').at(-1)).toMatchObject({
      coordinator: COORDINATOR,
      token: tokenId,
    });
  });

  it('removes a site after its confirmation page: its signed requests are refused from then on', async () => {
    const [ash] = fed.sites;
    expect((await ash!.listTasks()).length).toBeGreaterThan(0);
    const confirm = await client.get(`/dashboard/sites/${ash!.siteId}/remove`);
    expect(confirm.text).toContain('Updates it already sent stay where they were accepted');
    expect((await client.post(`/dashboard/sites/${ash!.siteId}/remove`, {})).status).toBe(403);
    await ash!.listTasks(); // still enrolled
    const removed = await client.post(`/dashboard/sites/${ash!.siteId}/remove`, {
      csrf: hiddenField(confirm.text, 'csrf'),
    });
    expect(removed.status).toBe(303);
    const refused = await ash!.listTasks().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HubRequestError);
    expect((refused as HubRequestError).status).toBe(401);
    const page = (await client.get('/dashboard/sites')).text;
    expect(page).toContain(`Site &quot;${SITE_NAMES[0]}&quot; removed`);
    expect(page).toContain('state-muted">removed');
    expect(logged('site removed from the hub').at(-1)).toMatchObject({
      coordinator: COORDINATOR,
      site: ash!.siteId,
    });
  });
});
