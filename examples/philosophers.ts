// Dining philosophers: five threads, five forks (mutexes). Each picks up the lower-numbered fork first,
// which breaks the cycle that would deadlock. They eat and think by sleeping; the host's timers wake them.
import { spawn, join, sleep, print, Mutex } from "weft";

const N = 5;
const MEALS = 3;
const forks = new StaticArray<Mutex>(N);
let eaten = 0;

function philosopher(seat: usize): i32 {
  let left = <i32>seat, right = (<i32>seat + 1) % N;
  let first = min(left, right), second = max(left, right);
  for (let meal = 0; meal < MEALS; meal++) {
    forks[first].lock();
    forks[second].lock();
    eaten++;
    sleep(1 + <f64>seat);             // eat
    forks[second].unlock();
    forks[first].unlock();
    sleep(2);                         // think
  }
  print("philosopher " + seat.toString() + " ate " + MEALS.toString() + " meals");
  return MEALS;
}

export function main(): i32 {
  for (let i = 0; i < N; i++) forks[i] = new Mutex();
  let ids = new StaticArray<i32>(N);
  for (let i = 0; i < N; i++) ids[i] = spawn(philosopher, i);
  for (let i = 0; i < N; i++) join(ids[i]);
  print("meals eaten: " + eaten.toString());
  return eaten == N * MEALS ? 0 : 1;
}
