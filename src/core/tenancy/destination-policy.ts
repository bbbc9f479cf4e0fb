// Which outbound destinations an application may call (issue 4: "allowed outbound
// destinations by prefix (default: no international)").
//
// "International" means an E.164 number (+CC…) whose country code is not the node's home
// country code. Domestic E.164 numbers, SIP URIs and registered users are always allowed.
// An international number is allowed only when it starts with one of the application's
// allowedDestinationPrefixes (e.g. "+44", "+4930"). With no home country configured, every
// E.164 number counts as international — the safe default against toll fraud.
// Enforcement on call creation belongs to the outbound-call operation (not built yet).

/** E.164: "+" then 2..15 digits, first digit non-zero (ITU-T E.164 §6). */
export const E164_RE = /^\+[1-9]\d{1,14}$/;

export function isDestinationAllowed(
  destination: string,
  allowedPrefixes: readonly string[],
  homeCountryCode?: string,
): boolean {
  if (!E164_RE.test(destination)) return true; // SIP URI or user: not a PSTN destination
  if (homeCountryCode && destination.startsWith(`+${homeCountryCode}`)) return true;
  return allowedPrefixes.some((p) => destination.startsWith(p));
}
