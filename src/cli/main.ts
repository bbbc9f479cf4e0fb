// Placeholder entry; the real CLI is being written (issue #2).
console.log('switchboard: starting');
