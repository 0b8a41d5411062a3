/** `kgate exec` end to end through the kgate gateway (see kgate-exec.suite.ts). */
import { kgateExecSuite } from './kgate-exec.suite.js';

kgateExecSuite('gateway');
