/** Base units to display units (uatom → ATOM with exponent 6), exact to the last digit the number can hold. */
export function toDisplay(amount: bigint, exponent: number): number {
  if (exponent === 0) return Number(amount);
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return Number(`${negative ? '-' : ''}${whole}.${fraction}`);
}
