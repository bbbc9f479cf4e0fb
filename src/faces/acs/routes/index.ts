// Every ACS route, in match order. A route module appends its table here; not-yet.ts comes
// last so an implemented route always wins over its 501 placeholder.
import type { AcsRoute } from '../route-context.ts';
import { callConnectionRoutes } from './call-connections.ts';
import { mediaRoutes } from './media.ts';
import { notYetRoutes } from './not-yet.ts';
import { participantRoutes } from './participants.ts';
import { streamingRoutes } from './streaming.ts';
import { recordingRoutes } from './recordings.ts';
import { transcriptionRoutes } from './transcription.ts';

export const ACS_ROUTES: readonly AcsRoute[] = [
  ...callConnectionRoutes,
  ...mediaRoutes,
  ...participantRoutes,
  ...streamingRoutes,
  ...recordingRoutes,
  ...transcriptionRoutes,
  ...notYetRoutes,
];
