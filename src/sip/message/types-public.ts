// Re-export of the message classes for type-only imports across the stack.
export type { SipMessage, SipRequest, SipResponse } from './sip-message.ts';
