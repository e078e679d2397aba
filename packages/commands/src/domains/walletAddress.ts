const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (const c of hrp) out.push(c.charCodeAt(0) >>> 5);
  out.push(0);
  for (const c of hrp) out.push(c.charCodeAt(0) & 31);
  return out;
}

export type AddressCheck = { ok: true; address: string; prefix: string } | { ok: false; problem: string };

/**
 * Checks a Cosmos account address (bech32, BIP-173): the checksum catches a mistyped character before a
 * subscription is stored for an address that can never have a balance.
 */
export function checkWalletAddress(input: string): AddressCheck {
  const raw = input.trim();
  if (raw !== raw.toLowerCase() && raw !== raw.toUpperCase()) {
    return { ok: false, problem: `\`${raw}\` mixes upper and lower case; an address is all lower case` };
  }
  const a = raw.toLowerCase();
  const sep = a.lastIndexOf('1');
  if (sep < 1 || a.length > 90 || a.length - sep - 1 < 6) {
    return { ok: false, problem: `\`${raw}\` is not an address (expected something like cosmos1…)` };
  }
  const prefix = a.slice(0, sep);
  const data: number[] = [];
  for (const c of a.slice(sep + 1)) {
    const v = CHARSET.indexOf(c);
    if (v < 0) return { ok: false, problem: `\`${raw}\` contains "${c}", which no address contains` };
    data.push(v);
  }
  if (polymod([...hrpExpand(prefix), ...data]) !== 1) {
    return { ok: false, problem: `\`${raw}\` has a bad checksum: check it for a mistyped character` };
  }
  return { ok: true, address: a, prefix };
}
