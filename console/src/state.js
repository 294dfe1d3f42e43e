// What the signed-in key is (GET /v1/me) and what the catalogue offers it (GET /v1/actions).
import { call } from './api.js';

export async function loadSession() {
  const [me, actions] = await Promise.all([call('GET', '/v1/me'), call('GET', '/v1/actions')]);
  const byName = new Map(actions.body.data.map((a) => [`${a.router}/${a.action}`, a]));
  const role = me.body.role;
  // The console shows what the role may do; the server still decides every call.
  const may = (name) => {
    const a = byName.get(name);
    return !!a && (role === 'bootstrap' || a.roles.includes(role));
  };
  return { me: me.body, role, byName, may };
}
