/** The benchmark harness lives here (npm run bench); see bench/RESULTS.md. */
export {};
