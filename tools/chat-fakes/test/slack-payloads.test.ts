import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  blockActionsPayload,
  interactionFormBody,
  signSlackRequest,
  slashCommandBody,
} from '../src/index.ts';

describe('signSlackRequest', () => {
  it("reproduces the worked example in Slack's 'Verifying requests from Slack'", () => {
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';

    const headers = signSlackRequest({
      signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
      body,
      timestamp: 1531420618,
    });

    expect(headers).toEqual({
      'x-slack-signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'x-slack-request-timestamp': '1531420618',
    });
  });
});

describe('payload builders', () => {
  it('builds a block_actions interaction carried in a form-encoded payload field', () => {
    const payload = blockActionsPayload({
      actionId: 'ack',
      value: '42',
      user: { id: 'U0ALICE001', username: 'alice' },
      channel: { id: 'C0ALERTS01', name: 'alerts' },
      message: { ts: '1700000000.000100', text: 'Validator down' },
      responseUrl: 'http://127.0.0.1:1/response-url/1',
    });

    const form = new URLSearchParams(interactionFormBody(payload));
    const decoded = JSON.parse(form.get('payload')!);

    expect(decoded).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE001' },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0ALERTS01' },
      channel: { id: 'C0ALERTS01' },
      message: { ts: '1700000000.000100' },
      response_url: 'http://127.0.0.1:1/response-url/1',
      actions: [{ action_id: 'ack', value: '42', type: 'button' }],
    });
  });

  it('builds a slash command form body whose signature a verifier can check', () => {
    const body = slashCommandBody({
      command: '/tocsin',
      text: 'silence cosmoshub-4 1h',
      user: { id: 'U0ALICE001' },
      channel: { id: 'C0ALERTS01' },
    });
    const headers = signSlackRequest({ signingSecret: 'shh', body, timestamp: 1700000000 });

    const fields = Object.fromEntries(new URLSearchParams(body));
    expect(fields).toMatchObject({
      command: '/tocsin',
      text: 'silence cosmoshub-4 1h',
      user_id: 'U0ALICE001',
      channel_id: 'C0ALERTS01',
    });
    // Checked independently of signSlackRequest: HMAC over 'v0:<ts>:<raw body>'.
    const expected = createHmac('sha256', 'shh').update(`v0:1700000000:${body}`).digest('hex');
    expect(headers['x-slack-signature']).toBe(`v0=${expected}`);
  });
});
