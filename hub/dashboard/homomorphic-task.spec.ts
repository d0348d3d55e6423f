// A homomorphic task from the dashboard, over a real hub: the new-task form has the box beside secure
// aggregation, a task made with it is stored with homomorphic encryption on (and secure aggregation
// off, which it replaces), a strategy that cannot run on ciphertexts is refused beside the box with its
// method record's reason, and the task page says the model is encrypted, that the hub cannot evaluate
// it, and offers no download of an encrypted version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertModelRow } from '../model-registry.ts';
import { DashboardClient, hiddenField } from './testing/dashboard-client.ts';
import {
  COORDINATOR,
  COORDINATOR_PASSWORD,
  makeFederatedHub,
  type FederatedHub,
} from './testing/federated-hub.ts';
import { FORM_DEFAULTS } from './task-form.ts';

describe('homomorphic tasks on the dashboard', () => {
  let fed: FederatedHub;
  let client: DashboardClient;
  const ctx = () => fed.testHub.hub.ctx;

  beforeAll(async () => {
    fed = await makeFederatedHub();
    client = new DashboardClient(fed.testHub.hub.url, fed.testHub.hub.ctx.keys.caCertPem);
    expect((await client.login(COORDINATOR, COORDINATOR_PASSWORD)).status).toBe(303);
  });
  afterAll(() => fed.cleanup());

  const newTask = async (fields: Record<string, string>) => {
    const form = await client.get('/dashboard/tasks/new');
    expect(form.text).toContain('id="f-homomorphic" name="homomorphic" type="checkbox"');
    return client.post('/dashboard/tasks/new', {
      ...FORM_DEFAULTS,
      csrf: hiddenField(form.text, 'csrf'),
      ...fields,
    });
  };

  it('refuses FedAdam with homomorphic encryption, saying why beside the box, and creates nothing', async () => {
    const before = (await ctx().store.tasks.listTasks()).length;
    const page = await newTask({
      name: 'Encrypted Adam',
      labels: 'a\nb',
      strategy: 'fedadam',
      homomorphic: 'on',
    });
    expect(page.status).toBe(400);
    expect(page.text).toContain('id="f-homomorphic" name="homomorphic" aria-invalid="true"');
    expect(page.text).toMatch(/<p class="field-error" id="e-homomorphic-0">[^<]*(FedAdam|fedadam)[^<]*<\/p>/);
    expect((await ctx().store.tasks.listTasks()).length).toBe(before);
  });

  it('creates a task with homomorphic encryption instead of secure aggregation, and its page says the hub cannot read or evaluate the model', async () => {
    // Secure aggregation is ticked by default: the homomorphic box replaces it.
    const created = await newTask({
      name: 'Encrypted pneumonia',
      labels: 'normal, pneumonia',
      homomorphic: 'on',
    });
    expect(created.status, created.text).toBe(303);
    const task = (await ctx().store.tasks.tasksByName('Encrypted pneumonia'))[0]!;
    const privacy = JSON.parse(task.definition).privacy;
    expect(privacy.homomorphic).toMatchObject({ enabled: true });
    expect(privacy.secureAggregation).toMatchObject({ enabled: false });

    // Version 1 of a homomorphic task is an encrypted sum: any bytes stand for it here (a task made on
    // the dashboard waits for its initial model, so this is its only version).
    const sha256 = await ctx().store.blobs.put(Buffer.from('RHS1 an encrypted sum'));
    await ctx().store.transaction((tx) =>
      insertModelRow(ctx(), tx, { taskId: task.id, version: 1, round: 1, sha256, bytes: 21 }),
    );
    const page = (await client.get(created.headers.location as string)).text;
    expect(page).toMatch(/<dt>Homomorphic encryption<\/dt>\s*<dd>\s*on: the model is encrypted/);
    expect(page).toMatch(/The hub cannot read it or\s+evaluate it/);
    expect(page).not.toContain(`/dashboard/tasks/${task.id}/models/1/tfjs.tar`);
    expect(page).toContain('encrypted: only the sites can read it');
  });
});
