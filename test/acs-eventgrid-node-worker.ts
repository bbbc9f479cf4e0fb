// A whole Switchboard node in a child process, for the SIGKILL test of Event Grid delivery
// (test/acs-eventgrid-restart.test.ts): startNode on the given directory (same directory =
// same data on a restart) with the given YAML, prints one JSON line {http, sip} when ready,
// stops cleanly on SIGTERM; the test mostly kills it with SIGKILL.
//   node --import tsx test/acs-eventgrid-node-worker.ts <dir> <yaml>
import { startNode } from './helpers/switchboard.ts';

const [dir, yaml] = process.argv.slice(2);
const node = await startNode({ dir, yaml });
console.log(JSON.stringify({ http: node.http, sip: node.sip }));
process.on('SIGTERM', () => {
  void node.stop().then(() => process.exit(0));
});
setInterval(() => {}, 1 << 30);
