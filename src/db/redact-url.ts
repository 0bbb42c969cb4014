// A database URL fit for logs and the start-up banner: where the data is, never a secret.
// libpq and node-postgres also read credentials from the query string (?password=,
// ?sslpassword=, ?sslkey=, ?passfile=), so those are masked as well as the userinfo one.
const SECRET_PARAM = /pass|secret|token|key|cred|auth/i;

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const name of new Set(u.searchParams.keys())) {
      if (SECRET_PARAM.test(name)) u.searchParams.set(name, '***');
    }
    return u.toString();
  } catch {
    return 'postgresql://(unparsable url)';
  }
}
