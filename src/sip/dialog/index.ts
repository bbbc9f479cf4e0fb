// Public face of the dialog layer (RFC 3261 §12).
export { Dialog } from './dialog.ts';
export type { DialogCheck, HeaderList, InDialogRequestOptions } from './dialog.ts';
export { dialogKey } from './dialog-state.ts';
export type { DialogId, DialogState } from './dialog-state.ts';
