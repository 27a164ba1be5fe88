// Binaryen's Asyncify intrinsics. Importing them from module "asyncify" makes the pass replace the imports
// with its own implementations, so the switch never leaves Wasm. A function that calls start_unwind or
// stop_rewind is the bottom of an unwind and stays uninstrumented (the switch); a function that calls
// start_rewind or stop_unwind is the top and stays uninstrumented too (the scheduler loop). Everything
// that can reach the bottom is instrumented. See scheduler.ts, "The switch".

// @ts-ignore: decorator
@external("asyncify", "start_unwind")
export declare function asyncifyStartUnwind(data: usize): void;
// @ts-ignore: decorator
@external("asyncify", "stop_unwind")
export declare function asyncifyStopUnwind(): void;
// @ts-ignore: decorator
@external("asyncify", "start_rewind")
export declare function asyncifyStartRewind(data: usize): void;
// @ts-ignore: decorator
@external("asyncify", "stop_rewind")
export declare function asyncifyStopRewind(): void;

// The shadow stack pointer that AssemblyScript's compiler keeps in the global __stack_pointer. The build
// replaces these two imports with a global.get / global.set of that global (host/compiler/build.ts, "intrinsics").
// @ts-ignore: decorator
@external("weft:intrinsic", "get_stack_pointer")
export declare function getStackPointer(): usize;
// @ts-ignore: decorator
@external("weft:intrinsic", "set_stack_pointer")
export declare function setStackPointer(sp: usize): void;
