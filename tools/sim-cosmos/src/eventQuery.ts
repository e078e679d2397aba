/**
 * The CometBFT event query language (`tm.event='Tx' AND transfer.amount > 5`), enough of it to decide which
 * subscriptions an event reaches: `=`, `<`, `<=`, `>`, `>=`, `CONTAINS`, `EXISTS`, joined by `AND`.
 */

type Operator = '=' | '<' | '<=' | '>' | '>=' | 'CONTAINS' | 'EXISTS';

interface Condition {
  key: string;
  op: Operator;
  operand?: string | number;
}

export type EventQuery = Condition[];

/** Events as CometBFT indexes them: `"<type>.<attribute>"` → values, plus `tm.event`, `tx.hash`, `tx.height`. */
export type EventMap = Record<string, string[]>;

const CONDITION =
  /^\s*([\w.\-/]+)\s*(?:(EXISTS)|(<=|>=|=|<|>|CONTAINS)\s*(?:'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)))\s*(?:AND\b|$)/i;

/** Parses a query; throws with a message CometBFT-like clients can show. */
export function parseEventQuery(query: string): EventQuery {
  if (query.length > 512) throw new Error('query is too long (max 512 characters)');
  const conditions: Condition[] = [];
  let rest = query.trim();
  while (rest.length) {
    const m = rest.match(CONDITION);
    if (!m) throw new Error(`failed to parse query at "${rest}"`);
    const [whole, key, exists, op, quoted, number] = m;
    if (exists) conditions.push({ key: key!, op: 'EXISTS' });
    else {
      conditions.push({
        key: key!,
        op: op!.toUpperCase() as Operator,
        operand: quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : Number(number),
      });
    }
    rest = rest.slice(whole!.length).trim();
  }
  if (!conditions.length) throw new Error('empty query');
  return conditions;
}

function holds(c: Condition, value: string): boolean {
  if (c.op === 'EXISTS') return true;
  if (c.op === 'CONTAINS') return value.includes(String(c.operand));
  if (typeof c.operand === 'string' && c.op === '=') return value === c.operand;
  const left = Number(value);
  const right = Number(c.operand);
  if (Number.isNaN(left) || Number.isNaN(right)) return false;
  switch (c.op) {
    case '=':
      return left === right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '>':
      return left > right;
    case '>=':
      return left >= right;
  }
}

export function matchesEventQuery(query: EventQuery, events: EventMap): boolean {
  return query.every((c) => (events[c.key] ?? []).some((v) => holds(c, v)));
}
