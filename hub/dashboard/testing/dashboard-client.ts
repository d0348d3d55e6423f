// For the dashboard's tests: a browser-like HTTPS client with a cookie jar that trusts only the hub's
// CA, sends Origin on POST as browsers do, and reads the hidden form tokens out of the pages.
import { request } from 'node:https';

export interface DashboardResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body as text; HTML with the whitespace around its tags removed (see flat). */
  text: string;
}

/**
 * HTML without the whitespace around tags (and other runs of whitespace made one space), so tests
 * match what the markup says, not how the source is laid out.
 */
export function flat(page: string): string {
  return page.replace(/\s+/g, ' ').replace(/\s*(<[^>]*>)\s*/g, '$1');
}

/** Cheap scrypt for tests; real accounts use SCRYPT_COST. */
export const TEST_SCRYPT_COST = { N: 1024, r: 8, p: 1, keyLength: 32 } as const;

export class DashboardClient {
  readonly cookies = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly caPem: string,
    /** The source address to connect from (a loopback alias, to act as another client machine). */
    private readonly localAddress?: string,
  ) {}

  get(path: string, headers: Record<string, string> = {}): Promise<DashboardResponse> {
    return this.send('GET', path, undefined, headers);
  }

  post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
    const body = new URLSearchParams(form).toString();
    return this.send('POST', path, body, {
      origin: new URL(this.baseUrl).origin,
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  /** Opens the sign-in page and posts the form; returns the answer to the post. */
  async login(user: string, password: string): Promise<DashboardResponse> {
    const form = await this.get('/dashboard/login');
    return this.post('/dashboard/login', { login: hiddenField(form.text, 'login'), user, password });
  }

  /** The CSRF token of the signed-in session, read from a page's sign-out form. */
  async csrf(): Promise<string> {
    return hiddenField((await this.get('/dashboard/')).text, 'csrf');
  }

  send(
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<DashboardResponse> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = request(
        new URL(path, this.baseUrl),
        {
          method,
          ca: this.caPem,
          ...(this.localAddress ? { localAddress: this.localAddress } : {}),
          headers: {
            ...(cookie ? { cookie } : {}),
            ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
            ...headers,
          },
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (part: Buffer) => parts.push(part));
          res.on('error', reject);
          res.on('end', () => {
            for (const line of res.headers['set-cookie'] ?? []) this.remember(line);
            const data = Buffer.concat(parts);
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: data,
              text: String(res.headers['content-type']).startsWith('text/html')
                ? flat(data.toString('utf8'))
                : data.toString('utf8'),
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  private remember(line: string): void {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (/max-age=0/i.test(line) || value === '') this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}

export function hiddenField(page: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(page);
  if (!match?.[1]) throw new Error(`The page has no hidden field "${name}".`);
  return match[1];
}
