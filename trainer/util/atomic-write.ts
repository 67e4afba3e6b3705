// The shared atomic writer lives in runtime/util (runtime/ may not import trainer/); trainer code
// keeps importing it from here.
export { checkWritable, writeFileAtomic, type AtomicWriteOptions } from '../../runtime/util/atomic-write.js';
