// The console's only way to the server: same-origin calls with the key as the bearer. The key
// lives in session storage (gone when the tab closes) and never goes into a URL.
const STORE = 'adgate.key';

export const session = {
  key: () => sessionStorage.getItem(STORE),
  set: (k) => sessionStorage.setItem(STORE, k),
  clear: () => sessionStorage.removeItem(STORE),
};

/** A refused call: the server's problem+json (RFC 9457), with the field it names if any. */
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
    this.field = body?.field || null;
  }
}


export async function call(method, path, body, idempotencyKey) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${session.key()}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { title: text.slice(0, 200) };
  }
  if (r.status === 401) {
    session.clear();
    window.dispatchEvent(new Event('adgate-signed-out'));
  }
  if (!r.ok) throw new Problem(r.status, json);
  return { status: r.status, body: json };
}

/** One catalogue action; mutations carry the caller's idempotency key (one per intended change). */
export const act = (router, action, input, idempotencyKey) =>
  call('POST', `/v1/actions/${router}/${action}`, input, idempotencyKey);

export const newIntent = () => crypto.randomUUID();

/** A problem in plain words. */
export function plain(e) {
  if (!(e instanceof Problem)) return String(e?.message || e);
  const what = {
    401: 'The key was not accepted: sign in again.',
    403: 'Your role may not do this.',
    404: 'Not found.',
    409: 'Someone changed this meanwhile, or the same change is still running.',
    429: 'Too many calls just now: wait a moment and try again.',
    502: 'Meta refused or did not answer.',
  }[e.status];
  const detail = e.body.detail || e.body.title || '';
  return what && !e.field ? `${what} ${detail}`.trim() : detail || what || `Error ${e.status}`;
}
