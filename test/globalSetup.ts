/** Shared fixtures for the whole test run; filled in by test/fixtures. */
export default async function setup(): Promise<void> {}
