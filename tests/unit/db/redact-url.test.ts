import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/db/redact-url.js';

describe('redactUrl', () => {
  it('masks the password of the userinfo', () => {
    expect(redactUrl('postgresql://relais:s3cret@db.internal:5432/relais')).toBe(
      'postgresql://relais:***@db.internal:5432/relais',
    );
  });

  it('masks query parameters that carry secrets, and keeps the others', () => {
    const shown = redactUrl(
      'postgresql://relais@db.internal/relais?sslmode=verify-full&password=s3cret&sslpassword=keypass&sslkey=/etc/relais/client.key&PassFile=/root/.pgpass&application_name=relais',
    );
    expect(shown).not.toMatch(/s3cret|keypass|client\.key|\.pgpass/);
    const params = new URL(shown).searchParams;
    expect(params.get('password')).toBe('***');
    expect(params.get('sslpassword')).toBe('***');
    expect(params.get('sslkey')).toBe('***');
    expect(params.get('PassFile')).toBe('***');
    expect(params.get('sslmode')).toBe('verify-full');
    expect(params.get('application_name')).toBe('relais');
  });

  it('masks every occurrence of a repeated parameter', () => {
    const shown = redactUrl('postgresql://db/relais?password=one&password=two');
    expect(shown).not.toMatch(/one|two/);
  });

  it('never echoes an unparsable URL', () => {
    expect(redactUrl('postgresql://user:pw@[bad')).toBe('postgresql://(unparsable url)');
  });
});
