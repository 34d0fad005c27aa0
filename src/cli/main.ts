// placeholder until the CLI lands
console.error('swarm-compute: not built yet');
process.exit(2);
