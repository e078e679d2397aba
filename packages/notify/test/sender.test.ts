import { alertFixture, notificationFixture } from '@tocsin/testkit';
import { describe, expect, it } from 'vitest';
import { senderOf } from '../src/index.ts';

const from = (labels: Record<string, string>) => alertFixture({ labels });

describe('senderOf', () => {
  it("takes the name and icon an alert's labels give", () => {
    const n = notificationFixture({}, [
      from({ sender_name: 'hub relayers', sender_icon_url: 'https://example.org/hub.png' }),
    ]);
    expect(senderOf(n)).toEqual({ name: 'hub relayers', iconUrl: 'https://example.org/hub.png' });
  });

  it('gives nothing the alerts disagree on, leave empty, or that is not a web address', () => {
    const a = from({ sender_name: 'a', sender_icon_url: 'https://example.org/a.png' });
    const b = from({ sender_name: 'b', sender_icon_url: 'https://example.org/a.png' });
    expect(senderOf(notificationFixture({}, [a, b]))).toEqual({ iconUrl: 'https://example.org/a.png' });
    expect(senderOf([notificationFixture({}, [a]), notificationFixture({}, [b])])).toEqual({
      iconUrl: 'https://example.org/a.png',
    });
    expect(senderOf(notificationFixture({}, [from({ sender_name: '', sender_icon_url: '' })]))).toEqual({});
    expect(senderOf(notificationFixture({}, [from({ sender_icon_url: 'javascript:alert(1)' })]))).toEqual({});
    expect(senderOf(notificationFixture({}, [from({})]))).toEqual({});
  });
});
