// The extension's command ids (package.json contributes.commands declares the
// same) and its walkthrough's id: named here so any part can run a command.

export const COMMANDS = {
  explainSelection: 'swarmCompute.explainSelection',
  openChat: 'swarmCompute.openChat',
  showMetrics: 'swarmCompute.showMetrics',
  setNostrKey: 'swarmCompute.setNostrKey',
  connectWallet: 'swarmCompute.connectWallet',
  disconnectWallet: 'swarmCompute.disconnectWallet',
  diagnoseConnection: 'swarmCompute.diagnoseConnection',
  exportHistory: 'swarmCompute.exportHistory',
  clearHistory: 'swarmCompute.clearHistory',
  stop: 'swarmCompute.stop',
  startOllama: 'swarmCompute.startOllama',
  pullModel: 'swarmCompute.pullModel',
  showLog: 'swarmCompute.showLog',
  shareModel: 'swarmCompute.shareModel',
  stopSharing: 'swarmCompute.stopSharing',
  toggleSharing: 'swarmCompute.toggleSharing',
  showProviders: 'swarmCompute.showProviders',
  resetConsent: 'swarmCompute.resetConsent',
  installOllama: 'swarmCompute.installOllama',
  getStarted: 'swarmCompute.getStarted',
  useSwarmOnly: 'swarmCompute.useSwarmOnly',
} as const;

export const WALKTHROUGH = 'swarm-compute.swarm-compute#gettingStarted';
