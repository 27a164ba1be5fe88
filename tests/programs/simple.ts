import { print } from "weft";
export function main(): i32 { print("hello"); return 7; }
