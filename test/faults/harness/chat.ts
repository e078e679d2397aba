import { type FakeDiscord, type FakeSlack, startFakeDiscord, startFakeSlack } from '@tocsin/chat-fakes';
import type { workDir } from './services.ts';

export const DISCORD_TOKEN = 'faults-discord-bot-token-6f1c2a';
export const SLACK_TOKEN = 'xoxb-faults-slack-token-93ad7e';
export const SLACK_SIGNING_SECRET = 'faults-slack-signing-secret-2b8e41';
export const SLACK_CHANNEL = 'C0FAULTS';

/**
 * The fake Discord (one guild, an alerts channel) and the fake Slack (one channel), with the `discord:` and
 * `slack:` config sections that point the real notifiers at them; tokens and the signing secret in files.
 */
export async function startChat(work: ReturnType<typeof workDir>) {
  const discord: FakeDiscord = await startFakeDiscord({ token: DISCORD_TOKEN });
  const guild = discord.addGuild({
    name: 'validators',
    channels: [{ name: 'alerts' }],
    roles: [{ name: 'admin' }],
  });
  const discordChannel = guild.channels[0]!.id;
  const slack: FakeSlack = await startFakeSlack({ token: SLACK_TOKEN });
  slack.addChannel({ id: SLACK_CHANNEL, name: 'alerts' });
  return {
    discord,
    discordChannel,
    slack,
    sections: {
      discord: {
        token_file: work.secret('discord-token', DISCORD_TOKEN),
        guild_id: guild.id,
        api_url: discord.url,
        default_channel: discordChannel,
        admin_roles: [guild.roles[0]!.id],
        rate: { burst: 50, per: '1s' },
        ack_wait: '5s',
      },
      slack: {
        token_file: work.secret('slack-token', SLACK_TOKEN),
        signing_secret_file: work.secret('slack-signing-secret', SLACK_SIGNING_SECRET),
        api_url: slack.url,
        default_channel: SLACK_CHANNEL,
        rate: { burst: 1000, per: '1s' },
        timeout: '3s',
      },
    },
    /** Messages posted about one IBC client (its id in the message), in the order they were posted. */
    discordAbout(clientId: string) {
      return discord
        .messages(discordChannel)
        .filter((m) => JSON.stringify(m.embeds).includes(`${clientId} `));
    },
    slackAbout(clientId: string) {
      return slack
        .messages(SLACK_CHANNEL)
        .filter((m) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`.includes(`${clientId} `));
    },
    /**
     * How many messages name each IBC client, in one pass over both channels (calling `discordAbout` per client is
     * quadratic: polled for hundreds of clients it blocks this process, which also serves the fakes).
     */
    perClient() {
      const count = (texts: string[]) => {
        const n = new Map<string, number>();
        for (const t of texts)
          for (const id of new Set(Array.from(t.matchAll(/(07-tendermint-\d+) /g), (m) => m[1]!)))
            n.set(id, (n.get(id) ?? 0) + 1);
        return n;
      };
      return {
        discord: count(discord.messages(discordChannel).map((m) => JSON.stringify(m.embeds))),
        slack: count(slack.messages(SLACK_CHANNEL).map((m) => `${m.text} ${JSON.stringify(m.blocks ?? [])}`)),
      };
    },
    async close() {
      await Promise.all([discord.close(), slack.close()]);
    },
  };
}
