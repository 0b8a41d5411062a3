/** Streams end with their grant through a local broker (see stream-end.suite.ts). */
import { streamEndSuite } from './stream-end.suite.js';

streamEndSuite('broker');
