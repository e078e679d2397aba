const DISCORD_EPOCH = 1420070400000n;

/** Issues real-looking Discord snowflakes (17–19 digits), which @discordjs/rest needs to bucket routes. */
export function createSnowflakes(clock: () => number): () => string {
  let last = 0n;
  let increment = 0n;
  return () => {
    const ms = BigInt(clock()) - DISCORD_EPOCH;
    increment = (increment + 1n) & 0xfffn;
    let id = (ms << 22n) | (1n << 17n) | increment;
    if (id <= last) id = last + 1n;
    last = id;
    return id.toString();
  };
}
