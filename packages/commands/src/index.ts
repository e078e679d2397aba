export {
  alertCommands,
  checkWalletAddress,
  defaultCommands,
  formatMatchers,
  harmonyCommands,
  helpCommand,
  ibcCommands,
  ownerText,
  parseMatcher,
} from './domains/index.ts';
export {
  type ArgType,
  type Caller,
  type Command,
  type CommandArg,
  type CommandContext,
  CommandRegistry,
  type CommandReply,
  type Parsed,
  tokenize,
  usage,
  usageReply,
} from './registry.ts';
