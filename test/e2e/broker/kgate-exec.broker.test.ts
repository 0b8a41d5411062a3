/** `kgate exec` end to end through the local broker (see kgate-exec.suite.ts). */
import { kgateExecSuite } from './kgate-exec.suite.js';

kgateExecSuite('broker');
