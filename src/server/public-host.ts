// Which address we advertise in SIP (Via, Contact) and SDP (c=) when the operator did not
// say: the first non-internal IPv4 address of this machine, else loopback. Behind NAT this
// guess is wrong by nature; SWITCHBOARD_PUBLIC_HOST is then required (docs/configuration.md).
import { networkInterfaces } from 'node:os';
import type { NetworkInterfaceInfo } from 'node:os';

export function detectPublicHost(
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces(),
): string {
  for (const name of Object.keys(interfaces)) {
    for (const info of interfaces[name] ?? []) {
      // Node 18.0–18.3 reported family as a number; accept both spellings.
      const v4 = info.family === 'IPv4' || (info.family as unknown) === 4;
      if (v4 && !info.internal) return info.address;
    }
  }
  return '127.0.0.1';
}
