import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrlsIn } from '../src/index.ts';

describe('redactUrl', () => {
  it('masks user info and query values, keeps scheme, host, port and path', () => {
    expect(redactUrl('https://alice:s3cret@rpc.example.org:443/v1?apikey=k123&x=1')).toBe(
      'https://***:***@rpc.example.org/v1?apikey=***&x=***',
    );
    expect(redactUrl('nats://user:pw@10.0.0.1:4222')).toBe('nats://***:***@10.0.0.1:4222');
    expect(redactUrl('postgres://tocsin:pw@db:5432/tocsin')).toBe('postgres://***:***@db:5432/tocsin');
  });

  it('leaves a URL without credentials as it is', () => {
    expect(redactUrl('http://127.0.0.1:26657')).toBe('http://127.0.0.1:26657');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('redacts each server of a comma-separated list', () => {
    expect(redactUrl('nats://a:b@h1:4222,nats://h2:4222')).toBe('nats://***:***@h1:4222,nats://h2:4222');
  });

  it('redacts URLs inside free text', () => {
    const text = 'request to https://u:p@rpc.example/?key=abc failed: ECONNREFUSED';
    const out = redactUrlsIn(text);
    expect(out).toBe('request to https://***:***@rpc.example/?key=*** failed: ECONNREFUSED');
    expect(out).not.toContain('abc');
  });
});
