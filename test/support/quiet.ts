// The wait of a negative check ("nothing more comes", "no job is taken"): no
// event marks that something did not happen, so the test lets a span pass in
// which it would have happened (a reply on loopback takes a few ms), then
// asserts that it did not. Never for waiting until something is ready: wait
// for that thing instead.
export function quietFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
