import { KgateCommand } from '../cli/base-command.js';

/** What `kgate version` reports. */
export interface VersionInfo {
  version: string;
  node: string;
  platform: string;
}

export default class Version extends KgateCommand<VersionInfo> {
  static override summary = 'Show the kgate version, the Node.js that runs it and the platform.';
  static override description = 'The same as kgate --version, and with --json for scripts.';
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json'];

  async run(): Promise<VersionInfo> {
    await this.parse(Version);
    const info: VersionInfo = { version: this.config.version, node: process.version, platform: `${this.config.platform}-${this.config.arch}` };
    this.say(`${this.config.bin}/${info.version} ${info.platform} node-${info.node}`);
    return info;
  }
}
