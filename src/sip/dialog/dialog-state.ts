// Dialog state and identity (RFC 3261 §12). Kept apart from the Dialog class so that the UA
// and tests can name states without pulling the class in.

/**
 * Dialog state (RFC 3261 §12.1, §12.3, §13.2.2.4). Transitions happen only in Dialog.
 *
 * ```
 *            1xx with To tag                 2xx
 *  (none) ───────────────────► early ─────────────────► confirmed
 *    │                           │                          │
 *    │ 2xx                       │ non-2xx final,           │ BYE sent/received,
 *    └──────────────► confirmed  │ CANCEL, timeout          │ no ACK, session expiry
 *                                ▼                          ▼
 *                           terminated ◄────────────────────┘
 * ```
 */
export type DialogState = 'early' | 'confirmed' | 'terminated';

/** §12: a dialog is identified by Call-ID, local tag and remote tag. */
export interface DialogId {
  callId: string;
  localTag: string;
  remoteTag: string;
}

/** Map key for a dialog id; tags and Call-ID are compared case-sensitively (§19.3). */
export function dialogKey(id: DialogId): string {
  return `${id.callId}\n${id.localTag}\n${id.remoteTag}`;
}
