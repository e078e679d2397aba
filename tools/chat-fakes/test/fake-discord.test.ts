import { once } from 'node:events';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  type Client,
  EmbedBuilder,
  Events,
  GatewayIntentBits,
  type Message,
  MessageFlags,
  type TextChannel,
} from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, type FakeGuild, startFakeDiscord } from '../src/index.ts';
import { alice, connectedClient } from './discord-client.ts';

let fake: FakeDiscord;
let guild: FakeGuild;
let channelId: string;
let client: Client;

beforeEach(async () => {
  fake = await startFakeDiscord();
  guild = fake.addGuild({ name: 'validators', channels: [{ name: 'alerts' }], roles: [{ name: 'oncall' }] });
  channelId = guild.channels[0]!.id;
  client = await connectedClient(fake);
});

afterEach(async () => {
  await client.destroy();
  await fake.close();
});

function alertsChannel(): TextChannel {
  return client.channels.cache.get(channelId) as TextChannel;
}

function alertPayload(title: string) {
  return {
    embeds: [
      new EmbedBuilder()
        .setTitle(title)
        .setColor(0xd93025)
        .addFields({ name: 'chain', value: 'cosmoshub-4' }),
    ],
    components: [
      new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId('ack:42').setLabel('Acknowledge').setStyle(ButtonStyle.Primary),
        new ButtonBuilder().setCustomId('silence:42').setLabel('Silence 1h').setStyle(ButtonStyle.Secondary),
      ),
    ],
  };
}

describe('gateway', () => {
  it('brings a discord.js client to ready with the guild and its channels cached', () => {
    expect(client.user?.id).toBe(fake.botUser.id);
    expect(client.application?.id).toBe(fake.applicationId);
    expect(client.guilds.cache.get(guild.id)?.name).toBe('validators');
    expect(alertsChannel().name).toBe('alerts');
    const identify = fake.gatewayPayloads().find((p) => p.op === 2);
    expect(identify?.d).toMatchObject({ token: 'fake-bot-token', compress: false });
    expect(fake.requests().map((r) => `${r.method} ${r.path}`)).toEqual(['GET /gateway/bot']);
    expect(fake.unhandledRequests()).toEqual([]);
  });

  it('delivers a guild added after ready as guildCreate', async () => {
    const created = once(client, Events.GuildCreate);
    const added = fake.addGuild({ name: 'testnet', channels: [{ name: 'testnet-alerts' }] });
    const [g] = await created;
    expect(g.id).toBe(added.id);
    expect(client.channels.cache.has(added.channels[0]!.id)).toBe(true);
  });

  it('resumes after op 7 RECONNECT and replays what was dispatched while disconnected', async () => {
    const reconnecting = once(client, Events.ShardReconnecting);
    fake.requestReconnect();
    await reconnecting;
    const received = once(client, Events.MessageCreate);
    fake.dispatchMessageCreate({ channel_id: channelId, content: 'sent while away', author: alice });
    const [message] = (await received) as [Message];
    expect(message.content).toBe('sent while away');
    expect(fake.gatewayPayloads().filter((p) => p.op === 2)).toHaveLength(1);
    expect(fake.gatewayPayloads().find((p) => p.op === 6)?.d).toMatchObject({ token: 'fake-bot-token' });
  });

  it('withholds message content from a client without the MessageContent intent', async () => {
    const bare = await connectedClient(fake, [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages]);
    try {
      const received = once(bare, Events.MessageCreate);
      fake.dispatchMessageCreate({ channel_id: channelId, content: '!status', author: alice });
      const [message] = (await received) as [Message];
      expect(message.content).toBe('');
    } finally {
      await bare.destroy();
    }
  });
});

describe('messages', () => {
  it('records an alert posted as an embed with buttons, then its edit on resolve', async () => {
    const sent = await alertsChannel().send(alertPayload('Validator missed 50 blocks'));

    const [post] = fake.requests({ method: 'POST', path: '/channels/:id/messages' });
    expect(post?.body).toMatchObject({
      embeds: [{ title: 'Validator missed 50 blocks', color: 0xd93025 }],
      components: [{ type: 1, components: [{ custom_id: 'ack:42' }, { custom_id: 'silence:42' }] }],
    });
    expect(post?.headers.authorization).toBe('Bot fake-bot-token');
    expect(fake.messages(channelId).map((m) => m.id)).toEqual([sent.id]);
    expect(sent.embeds[0]?.title).toBe('Validator missed 50 blocks');

    const edited = await sent.edit({
      embeds: [new EmbedBuilder().setTitle('Resolved').setColor(0x188038)],
      components: [],
    });

    expect(edited.editedTimestamp).not.toBeNull();
    const [stored] = fake.messages(channelId);
    expect(stored).toMatchObject({ id: sent.id, embeds: [{ title: 'Resolved' }], components: [] });
    expect(
      fake.requests({ method: 'PATCH', path: `/channels/${channelId}/messages/${sent.id}` }),
    ).toHaveLength(1);
  });

  it('emits messageCreate for a prefix command with the member roles, and records the reply', async () => {
    const oncall = guild.roles[0]!.id;
    let hadRole = false;
    client.on(Events.MessageCreate, async (message) => {
      if (message.author.bot || message.content !== '!status') return;
      hadRole = message.member?.roles.cache.has(oncall) ?? false;
      await message.reply('all validators signing');
    });

    const command = fake.dispatchMessageCreate({
      channel_id: channelId,
      content: '!status',
      author: alice,
      member: { roles: [oncall] },
    });
    const reply = await fake.waitForRequest({ method: 'POST', path: '/channels/:id/messages' });

    expect(hadRole).toBe(true);
    expect(reply.body).toMatchObject({
      content: 'all validators signing',
      message_reference: { message_id: command.id },
    });
    const stored = fake.messages(channelId).at(-1);
    expect(stored?.referenced_message?.id).toBe(command.id);
  });

  it('parses multipart uploads: payload_json becomes the body, files are described', async () => {
    const csv = Buffer.from('height,missed\n100,1\n');
    const sent = await alertsChannel().send({
      content: 'missed blocks report',
      files: [{ attachment: csv, name: 'missed.csv' }],
    });

    const [post] = fake.requests({ method: 'POST', path: '/channels/:id/messages' });
    expect(post?.headers['content-type']).toMatch(/^multipart\/form-data/);
    expect(post?.body).toMatchObject({ content: 'missed blocks report' });
    expect(post?.files).toMatchObject([{ field: 'files[0]', filename: 'missed.csv', size: csv.length }]);
    expect(sent.attachments.first()?.name).toBe('missed.csv');
  });

  it('echoes the bot’s own messages over the gateway, as Discord does', async () => {
    const echoed = once(client, Events.MessageCreate);
    const sent = await alertsChannel().send('heartbeat');
    const [message] = (await echoed) as [Message];
    expect(message.id).toBe(sent.id);
    expect(message.author.id).toBe(fake.botUser.id);
  });

  it('answers an unknown channel with Discord’s 404 body', async () => {
    await expect(client.channels.fetch('999999999999999999')).rejects.toMatchObject({
      status: 404,
      code: 10003,
    });
  });
});

describe('interactions', () => {
  const user = alice;

  it('stores global and guild slash commands from bulk overwrite', async () => {
    const commands = [{ name: 'status', description: 'Chain status' }];
    const globals = await client.application!.commands.set(commands);
    await client.guilds.cache
      .get(guild.id)!
      .commands.set([{ name: 'silence', description: 'Silence an alert' }]);

    expect(fake.commands().map((c) => c.name)).toEqual(['status']);
    expect(fake.commands(guild.id).map((c) => c.name)).toEqual(['silence']);
    expect(globals.first()?.id).toBe(fake.commands()[0]?.id);
  });

  it('delivers a slash command with options; interaction.reply() is callback type 4', async () => {
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      const chain = interaction.options.getString('chain', true);
      const blocks = interaction.options.getInteger('blocks', true);
      await interaction.reply({ content: `${chain}: ${blocks} blocks behind` });
    });

    const dispatched = fake.dispatchInteraction({
      type: 'command',
      channelId,
      user,
      name: 'status',
      options: { chain: 'cosmoshub-4', blocks: 3 },
    });
    const response = await dispatched.response;

    expect(response).toMatchObject({ type: 4, data: { content: 'cosmoshub-4: 3 blocks behind' } });
    expect(fake.interactionResponses()).toHaveLength(1);
    expect(fake.messages(channelId).at(-1)).toMatchObject({
      content: 'cosmoshub-4: 3 blocks behind',
      interaction_metadata: { id: dispatched.id },
    });
  });

  it('supports deferReply, editReply and followUp', async () => {
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      await interaction.editReply('3 alerts open');
      await interaction.followUp('details posted');
    });

    const dispatched = fake.dispatchInteraction({ type: 'command', channelId, user, name: 'alerts' });
    expect((await dispatched.response).type).toBe(5);
    await fake.waitForRequest({ method: 'POST', path: `/webhooks/${fake.applicationId}/:token` });

    const edit = fake.requests({ method: 'PATCH', path: '/webhooks/:app/:token/messages/@original' });
    expect(edit[0]?.body).toMatchObject({ content: '3 alerts open' });
    const [original, followUp] = fake.messages(channelId);
    expect(original).toMatchObject({ content: '3 alerts open', flags: MessageFlags.Ephemeral });
    expect(followUp).toMatchObject({ content: 'details posted', webhook_id: fake.applicationId });
  });

  it('delivers autocomplete with the focused option; interaction.respond() is callback type 8', async () => {
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isAutocomplete()) return;
      const typed = interaction.options.getFocused();
      const chains = ['cosmoshub-4', 'osmosis-1', 'noble-1'].filter((c) => c.startsWith(typed));
      await interaction.respond(chains.map((c) => ({ name: c, value: c })));
    });

    const dispatched = fake.dispatchInteraction({
      type: 'autocomplete',
      channelId,
      user,
      name: 'status',
      options: { chain: 'os' },
      focused: 'chain',
    });

    expect(await dispatched.response).toMatchObject({
      type: 8,
      data: { choices: [{ name: 'osmosis-1', value: 'osmosis-1' }] },
    });
  });

  it('delivers a button click on an alert; interaction.update() edits that message (type 7)', async () => {
    const alert = await alertsChannel().send(alertPayload('Validator jailed'));
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isButton()) return;
      expect(interaction.message.id).toBe(alert.id);
      await interaction.update({ content: `acknowledged by ${interaction.user.username}`, components: [] });
    });

    const dispatched = fake.dispatchInteraction({
      type: 'button',
      channelId,
      user,
      messageId: alert.id,
      customId: 'ack:42',
    });

    expect((await dispatched.response).type).toBe(7);
    expect(fake.messages(channelId)).toMatchObject([
      {
        id: alert.id,
        content: 'acknowledged by alice',
        components: [],
        embeds: [{ title: 'Validator jailed' }],
      },
    ]);
  });

  it('supports deferUpdate (type 6) followed by editReply on the clicked message', async () => {
    const alert = await alertsChannel().send(alertPayload('Validator jailed'));
    client.on(Events.InteractionCreate, async (interaction) => {
      if (!interaction.isButton()) return;
      await interaction.deferUpdate();
      await interaction.editReply({ content: 'silenced for 1h', components: [] });
    });

    const dispatched = fake.dispatchInteraction({
      type: 'button',
      channelId,
      user,
      messageId: alert.id,
      customId: 'silence:42',
    });
    expect((await dispatched.response).type).toBe(6);
    await fake.waitForRequest({ method: 'PATCH', path: '/webhooks/:app/:token/messages/@original' });

    expect(fake.messages(channelId)[0]).toMatchObject({
      id: alert.id,
      content: 'silenced for 1h',
      components: [],
    });
  });

  it('rejects a second response to the same interaction like Discord (40060)', async () => {
    const secondAttempt = new Promise<unknown>((resolve) => {
      client.on(Events.InteractionCreate, async (interaction) => {
        if (!interaction.isChatInputCommand()) return;
        await interaction.reply('first');
        // discord.js itself refuses a second reply(), so go around it to see what the API says.
        const route = `/interactions/${interaction.id}/${interaction.token}/callback` as const;
        resolve(
          await client.rest
            .post(route, { body: { type: 4, data: { content: 'again' } }, auth: false })
            .catch((e) => e),
        );
      });
    });

    fake.dispatchInteraction({ type: 'command', channelId, user, name: 'status' });

    expect(await secondAttempt).toMatchObject({ status: 400, code: 40060 });
    expect(fake.interactionResponses()).toHaveLength(1);
  });
});
